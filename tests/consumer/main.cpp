#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include <recur/recur.h>

// The installed headers keep fmt to themselves (it is a private dependency of recur).
#ifdef FMT_VERSION
#error "recur's installed headers include fmt"
#endif

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
  if (out.output.numel() != 2 * 4) return 1;

  // The cuda backend is registered exactly when the program links recur::cuda.
  const std::vector<std::string> names = recur::backend_names();
  const bool has_cuda = std::find(names.begin(), names.end(), "cuda") != names.end();
#if CONSUMER_LINKS_CUDA
  const bool want_cuda = true;
#else
  const bool want_cuda = false;
#endif
  std::string gpu;
  const bool gpu_ok = recur::gpu_available(&gpu);
  std::printf("backends: %zu, cuda %s; GPU: %s\n", names.size(), has_cuda ? "yes" : "no",
              gpu.c_str());
  if (has_cuda != want_cuda) return 2;
  if (!want_cuda && gpu_ok) return 3;
  return 0;
}
