// `recur gradflow`: the vanishing-gradient experiment. The same random input sequence goes
// through a tanh RNN, an LSTM and a GRU (PyTorch's default initialisation, same seed); the loss
// is a fixed random projection of the last step's output, and Backend::backward's grad_input
// gives d loss / d x_t for every step t. The norms show how much of the loss's gradient reaches
// back to each input: for the tanh RNN it dies exponentially; gated cells keep it alive longer,
// and an LSTM whose forget gates start open (forget bias +1) keeps far more of it.
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "args.h"
#include "commands.h"
#include "recur/recur.h"
#include "svg.h"
#include "train_commands.h"

namespace recur::cli {

namespace {

const char* kUsage = R"(usage: recur gradflow [options]

For a tanh RNN, an LSTM and a GRU on the same random sequence, prints |d loss / d x_t| for
t = 1..T where the loss reads only the last step's output, and plots it (log scale).

options:
  --steps T           sequence length (default 100)
  --hidden H          hidden size (default 32)
  --input I           input size (default 32)
  --batch B           batch size (default 1)
  --forget-bias X     also run an LSTM with X added to its forget-gate biases, the common
                      remedy (default 1; 0 leaves that curve out)
  --seed S            seed of the weights, the input and the loss projection (default 0)
  --backend NAME      auto, cpu, cpu-ref, cuda, cudnn (default auto)
  --out DIR           writes DIR/gradflow.svg and DIR/gradflow.csv (default runs/gradflow)
)";

struct Curve {
  std::string name;
  std::vector<double> norms;  // index t-1
};

// |d loss / d x_t| for t = 1..T.
std::vector<double> input_gradient_norms(Backend& backend, Cell cell, const Tensor& x,
                                         int64_t hidden, double forget_bias, uint64_t seed) {
  RnnSpec spec;
  spec.cell = cell;
  spec.input_size = x.dim(2);
  spec.hidden_size = hidden;
  RnnParams params = RnnParams::init_uniform(spec, seed, x.dtype());
  if (cell == Cell::LSTM && forget_bias != 0.0) {
    // Gate order i, f, g, o: the forget gate is rows [H, 2H) of bias_ih.
    Tensor& b = params.get(ParamKind::b_ih, 0, 0);
    for (int64_t j = hidden; j < 2 * hidden; ++j) b.data<double>()[j] += forget_bias;
  }
  RnnInputs in;
  in.input = x;
  ForwardOptions options;
  options.training = true;
  const RnnOutputs out = backend.forward(spec, params, in, options);

  // The loss sum(w * output[T-1]) with a fixed random w of unit norm (the same for every cell).
  const int64_t T = x.dim(0), B = x.dim(1);
  RnnGradOutputs g;
  g.output = Tensor::zeros(out.output.shape(), x.dtype());
  Rng rng(mix64(seed ^ 0x9A7F));
  std::vector<double> w(static_cast<size_t>(B * hidden));
  double norm = 0;
  for (double& v : w) {
    v = rng.normal();
    norm += v * v;
  }
  for (size_t i = 0; i < w.size(); ++i)
    g.output.data<double>()[(T - 1) * B * hidden + static_cast<int64_t>(i)] =
        w[i] / std::sqrt(norm);
  const RnnGrads grads = backend.backward(spec, params, in, out, g);

  std::vector<double> norms(static_cast<size_t>(T));
  const int64_t step = B * x.dim(2);
  for (int64_t t = 0; t < T; ++t) {
    double s = 0;
    for (int64_t k = 0; k < step; ++k) {
      const double v = grads.input.data<double>()[t * step + k];
      s += v * v;
    }
    norms[t] = std::sqrt(s);
  }
  return norms;
}

}  // namespace

int cmd_gradflow(int argc, char** argv) {
  Args args(argc, argv,
            {"steps", "hidden", "input", "batch", "forget-bias", "seed", "backend", "out"});
  if (args.help()) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  args.no_positional();
  const int64_t T = args.integer_at_least("steps", 100, 1);
  const int64_t H = args.integer_at_least("hidden", 32, 1);
  const int64_t I = args.integer_at_least("input", 32, 1);
  const int64_t B = args.integer_at_least("batch", 1, 1);
  const double forget_bias = args.number("forget-bias", 1.0);
  const uint64_t seed = args.seed();
  const std::string out = args.str("out", "runs/gradflow");
  auto backend = make_backend(args.str("backend", "auto"));

  // Float64 throughout: the norms span dozens of orders of magnitude, and float32 would
  // flush the smallest to zero before the plot could show how fast they fall.
  Rng rng(seed);
  Tensor x = Tensor::empty({T, B, I}, DType::F64);
  for (int64_t i = 0; i < x.numel(); ++i) x.data<double>()[i] = rng.normal();

  std::vector<Curve> curves;
  const uint64_t weights_seed = seed + 1;
  for (Cell cell : {Cell::RNN_TANH, Cell::LSTM, Cell::GRU})
    curves.push_back(
        {cell_flag_name(cell), input_gradient_norms(*backend, cell, x, H, 0.0, weights_seed)});
  if (forget_bias != 0.0)
    curves.push_back({fmt::format("lstm_fb{:g}", forget_bias),
                      input_gradient_norms(*backend, Cell::LSTM, x, H, forget_bias, weights_seed)});

  // The table: log-spaced distances from the last step, where the decay is easiest to read.
  std::printf(
      "gradient norm |d loss / d x_t|, loss on the output at t=%lld (T=%lld, I=%lld, "
      "H=%lld, B=%lld, PyTorch's default init, backend %s)\n",
      static_cast<long long>(T), static_cast<long long>(T), static_cast<long long>(I),
      static_cast<long long>(H), static_cast<long long>(B), backend->name().c_str());
  std::string header = fmt::format("{:>6} {:>6}", "t", "T-t");
  for (const Curve& c : curves) header += fmt::format(" {:>12}", c.name);
  std::printf("%s\n", header.c_str());
  std::vector<int64_t> back;
  for (int64_t k : {0, 1, 2, 5, 10, 20, 30, 50, 70, 100, 200, 500, 1000})
    if (k < T) back.push_back(k);
  if (back.back() != T - 1) back.push_back(T - 1);
  for (int64_t k : back) {
    const size_t t = static_cast<size_t>(T - 1 - k);
    std::string row = fmt::format("{:>6} {:>6}", t + 1, k);
    for (const Curve& c : curves) row += fmt::format(" {:>12.4e}", c.norms[t]);
    std::printf("%s\n", row.c_str());
  }

  make_output_dir(out);
  std::string csv = "t";
  for (const Curve& c : curves) csv += "," + c.name;
  csv += "\n";
  for (int64_t t = 0; t < T; ++t) {
    csv += std::to_string(t + 1);
    for (const Curve& c : curves) csv += fmt::format(",{:.6e}", c.norms[t]);
    csv += "\n";
  }
  write_file_atomic(out + "/gradflow.csv", csv.data(), csv.size());
  const char* colors[] = {"#d62728", "#1f77b4", "#2ca02c", "#1f77b4"};
  std::vector<PlotSeries> series;
  for (size_t k = 0; k < curves.size(); ++k) {
    PlotSeries s{curves[k].name, {}, {}, colors[k], /*dashed=*/k == 3};
    for (int64_t t = 0; t < T; ++t) {
      s.x.push_back(static_cast<double>(t + 1));
      s.y.push_back(curves[k].norms[t]);
    }
    series.push_back(std::move(s));
  }
  PlotOptions o;
  o.title =
      fmt::format("|d loss / d x_t| for a loss on step {} (I={}, H={}, default init)", T, I, H);
  o.x_label = "t";
  o.y_label = "gradient norm (log scale)";
  o.log_y = true;
  write_line_plot(out + "/gradflow.svg", series, o);
  // One summary line: the fraction of the last step's gradient norm that reaches the first step.
  std::string summary = "first_over_last";
  for (const Curve& c : curves)
    summary += fmt::format(" {}={:.3e}", c.name, c.norms[0] / c.norms[T - 1]);
  std::printf("%s out=%s\n", summary.c_str(), out.c_str());
  return 0;
}

}  // namespace recur::cli
