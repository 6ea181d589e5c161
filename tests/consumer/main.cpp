#include <cstdio>

#include <recur/recur.h>

int main() {
  recur::RnnSpec spec;
  spec.cell = recur::Cell::GRU;
  spec.input_size = 3;
  spec.hidden_size = 4;
  const recur::RnnParams params = recur::RnnParams::init_uniform(spec, 1);
  recur::RnnInputs in;
  in.input = recur::Tensor::full({2, 1, 3}, 0.5);
  auto backend = recur::make_backend("cpu-ref");
  const recur::RnnOutputs out = backend->forward(spec, params, in, {});
  std::printf("recur %s consumer: output %s\n", recur::version(),
              recur::shape_str(out.output.shape()).c_str());
  return out.output.numel() == 2 * 4 ? 0 : 1;
}
