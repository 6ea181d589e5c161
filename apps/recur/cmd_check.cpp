// `recur check`: runs a randomized sweep of networks through a backend and through cpu-ref, the
// oracle, and prints one row per configuration with the relative error of every output and
// gradient against DESIGN.md's bound. This is how a user validates a GPU (or a new build)
// against the plain CPU reference; the exit status is 1 when any configuration fails.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "args.h"
#include "commands.h"
#include "recur/recur.h"

namespace recur::cli {
namespace {

struct CheckCase {
  Cell cell = Cell::LSTM;
  int64_t layers = 1;
  bool bidirectional = false, batch_first = false, bias = true;
  int64_t I = 3, H = 5, T = 4, B = 2;
  bool states = true;    // h0 (and c0) given
  double dropout = 0.0;  // training runs only

  RnnSpec spec() const {
    RnnSpec s;
    s.cell = cell;
    s.input_size = I;
    s.hidden_size = H;
    s.num_layers = layers;
    s.bidirectional = bidirectional;
    s.batch_first = batch_first;
    s.bias = bias;
    s.dropout = dropout;
    return s;
  }
  std::string name() const {
    std::string n = fmt::format("{} L{} {} {} {} I{} H{} T{} B{}", cell_name(cell), layers,
                                bidirectional ? "bi" : "uni", batch_first ? "[B,T]" : "[T,B]",
                                bias ? "bias" : "nobias", I, H, T, B);
    if (states) n += " h0";
    if (dropout > 0) n += fmt::format(" p{}", dropout);
    return n;
  }
};

// Every cell x layers x directions x layout x bias, the sizes (odd ones, T = 1, B = 1), the
// initial states and dropout varied across the cases so that each appears in many
// combinations. --quick: layers {1, 2} and tiny sizes (seconds on a CPU). The full sweep adds
// layers 3 and, per cell, one case wider than a warp with a larger batch.
std::vector<CheckCase> sweep(bool quick, bool with_dropout) {
  const int64_t Is[] = {3, 7, 1, 16};
  const int64_t Hs[] = {5, 13, 33, 9};
  const int64_t Ts[] = {4, 1, 6, 3, 5};
  const int64_t Bs[] = {2, 1, 3};
  std::vector<CheckCase> cases;
  int i = 0;
  for (Cell cell : {Cell::RNN_TANH, Cell::RNN_RELU, Cell::LSTM, Cell::GRU}) {
    for (int64_t layers : {1, 2, 3}) {
      if (quick && layers == 3) continue;
      for (bool bi : {false, true}) {
        for (int variant = 0; variant < (quick ? 1 : 4); ++variant) {
          CheckCase c;
          c.cell = cell;
          c.layers = layers;
          c.bidirectional = bi;
          // quick: layout and bias alternate between cases instead of being swept.
          c.batch_first = quick ? i % 2 == 1 : (variant & 1) != 0;
          c.bias = quick ? i % 3 != 2 : (variant & 2) == 0;
          c.I = Is[i % 4];
          c.H = Hs[(i / 2) % 4];
          c.T = Ts[i % 5];
          c.B = Bs[i % 3];
          c.states = i % 3 != 1;
          c.dropout = with_dropout && layers > 1 && i % 2 == 0 ? 0.3 : 0.0;
          cases.push_back(c);
          ++i;
        }
      }
    }
  }
  if (!quick) {
    for (Cell cell : {Cell::RNN_TANH, Cell::RNN_RELU, Cell::LSTM, Cell::GRU}) {
      CheckCase c;
      c.cell = cell;
      c.layers = 2;
      c.bidirectional = true;
      c.batch_first = cell == Cell::GRU;
      c.I = 24;
      c.H = cell == Cell::LSTM ? 130 : 67;
      c.T = 12;
      c.B = 16;
      c.dropout = with_dropout ? 0.2 : 0.0;
      cases.push_back(c);
    }
  }
  return cases;
}

Tensor random_tensor(const Shape& shape, DType dtype, Rng& rng, double lo, double hi) {
  Tensor t = Tensor::empty(shape, dtype);
  for (int64_t i = 0; i < t.numel(); ++i) {
    const double v = rng.uniform(lo, hi);
    if (dtype == DType::F64) {
      t.data<double>()[i] = v;
    } else {
      t.data<float>()[i] = static_cast<float>(v);
    }
  }
  return t;
}

// DESIGN.md's measure: ||got - ref|| / ||ref|| and max |got - ref| / max(1, max |ref|); a
// non-finite value where the reference is finite makes both infinite.
struct Diff {
  double rel = 0;
  double max_abs = 0;
};

Diff diff(const Tensor& got, const Tensor& ref) {
  RECUR_CHECK(got.defined() && got.shape() == ref.shape(),
              "result of shape {} where {} was expected",
              got.defined() ? shape_str(got.shape()) : "(none)", shape_str(ref.shape()));
  double num = 0, den = 0, abs_max = 0, ref_max = 0;
  for (int64_t i = 0; i < ref.numel(); ++i) {
    const double g = got.item(i), r = ref.item(i);
    if (!std::isfinite(g) && std::isfinite(r)) return {INFINITY, INFINITY};
    num += (g - r) * (g - r);
    den += r * r;
    abs_max = std::max(abs_max, std::abs(g - r));
    ref_max = std::max(ref_max, std::abs(r));
  }
  return {den > 0 ? std::sqrt(num / den) : std::sqrt(num), abs_max / std::max(1.0, ref_max)};
}

// The columns of the table: the worst error of each output and gradient.
enum Column { kOut, kHn, kCn, kDin, kDh0, kDc0, kDw, kColumns };
const char* const kColumnNames[kColumns] = {"output", "h_n",  "c_n",      "d_input",
                                            "d_h0",   "d_c0", "d_weights"};

struct Row {
  Diff worst[kColumns];
  bool present[kColumns] = {};
  std::string error;  // the exception a backend threw, if any

  void add(Column c, const Tensor& got, const Tensor& ref) {
    const Diff d = diff(got, ref);
    worst[c].rel = present[c] ? std::max(worst[c].rel, d.rel) : d.rel;
    worst[c].max_abs = present[c] ? std::max(worst[c].max_abs, d.max_abs) : d.max_abs;
    present[c] = true;
  }
  // The bound on the relative error, and ten times it on the scaled max-abs error (the test
  // suite's pairing).
  bool pass(double bound) const {
    if (!error.empty()) return false;
    for (int c = 0; c < kColumns; ++c)
      if (present[c] && !(worst[c].rel <= bound && worst[c].max_abs <= 10 * bound)) return false;
    return true;
  }
};

void compare_outputs(Row& row, const RnnOutputs& got, const RnnOutputs& ref) {
  row.add(kOut, got.output, ref.output);
  row.add(kHn, got.h_n, ref.h_n);
  if (ref.c_n.defined()) row.add(kCn, got.c_n, ref.c_n);
}

Row run_case(Backend& backend, Backend& ref, const CheckCase& c, DType dtype, uint64_t seed) {
  Row row;
  try {
    const RnnSpec spec = c.spec();
    Rng rng(seed);
    const RnnParams params = RnnParams::init_uniform(spec, rng.next(), dtype);
    RnnInputs in;
    in.input = random_tensor(c.batch_first ? Shape{c.B, c.T, c.I} : Shape{c.T, c.B, c.I}, dtype,
                             rng, -1, 1);
    const Shape state = {c.layers * spec.directions(), c.B, c.H};
    if (c.states) {
      in.h0 = random_tensor(state, dtype, rng, -0.5, 0.5);
      if (spec.has_cell_state()) in.c0 = random_tensor(state, dtype, rng, -0.5, 0.5);
    }
    compare_outputs(row, backend.forward(spec, params, in, {false, 0}),
                    ref.forward(spec, params, in, {false, 0}));

    const ForwardOptions train{true, rng.next()};
    const RnnOutputs want = ref.forward(spec, params, in, train);
    const RnnOutputs got = backend.forward(spec, params, in, train);
    compare_outputs(row, got, want);
    RnnGradOutputs grads;
    grads.output = random_tensor(want.output.shape(), dtype, rng, -1, 1);
    grads.h_n = random_tensor(state, dtype, rng, -1, 1);
    if (spec.has_cell_state()) grads.c_n = random_tensor(state, dtype, rng, -1, 1);
    const RnnGrads g_ref = ref.backward(spec, params, in, want, grads);
    const RnnGrads g_got = backend.backward(spec, params, in, got, grads);
    row.add(kDin, g_got.input, g_ref.input);
    row.add(kDh0, g_got.h0, g_ref.h0);
    if (spec.has_cell_state()) row.add(kDc0, g_got.c0, g_ref.c0);
    for (size_t i = 0; i < g_ref.params.size(); ++i) {
      const Tensor* t = g_got.params.find(g_ref.params.name(i));
      RECUR_CHECK(t != nullptr, "no gradient for {}", g_ref.params.name(i));
      row.add(kDw, *t, g_ref.params[i]);
    }
  } catch (const std::exception& e) {
    row.error = e.what();
  }
  return row;
}

// DESIGN.md's bounds on the relative error.
double default_bound(const std::string& backend, DType dtype) {
  if (dtype == DType::F64) return 1e-12;
  return backend == "cpu" || backend == "cpu-ref" || backend == "onednn" ? 1e-5 : 1e-4;
}

void print_usage() {
  std::printf(
      "usage: recur check [--backend NAME] [--quick] [--seed N] [--dtype f32|f64] [--bound X]\n"
      "\n"
      "Runs a randomized sweep of networks (every cell x layers x directions x layout x bias,\n"
      "odd sizes, with and without h0/c0; inference, and training forward + backward) through\n"
      "the backend and through cpu-ref, the plain CPU reference, and prints the relative error\n"
      "||got - ref|| / ||ref|| of every output and gradient (d_weights: the worst parameter).\n"
      "A configuration passes when every error is within the bound (float32: 1e-5 for cpu and\n"
      "onednn, 1e-4 for cuda and cudnn; float64: 1e-12) and its scaled max-abs error within ten\n"
      "times the bound. A configuration the backend does not run (onednn: RNN cells, f64) is\n"
      "listed as skipped with the reason. Exits 1 when any configuration fails.\n"
      "\n"
      "  --backend NAME  cpu-ref, cpu, onednn, cuda, cudnn or auto (default: auto)\n"
      "  --quick         a small sweep (layers 1-2, tiny sizes) that runs in seconds on a CPU\n"
      "  --seed N        seed of parameters, inputs and dropout masks (default 1)\n"
      "  --dtype T       f32 (default) or f64\n"
      "  --bound X       override the relative-error bound\n"
      "\n"
      "Dropout (p > 0 in some multi-layer training cases) is off for cudnn, whose dropout masks\n"
      "differ from recur's, and for onednn, which has none.\n");
}

}  // namespace

int cmd_check(int argc, char** argv) {
  Args args(argc, argv, {"backend", "seed", "dtype", "bound"}, {"quick"});
  if (args.help()) {
    print_usage();
    return 0;
  }
  args.no_positional();
  std::string name = args.str("backend", "auto");
  const std::vector<std::string> names = backend_names();
  RECUR_USAGE_CHECK(name == "auto" || std::find(names.begin(), names.end(), name) != names.end(),
                    "unknown backend '{}' (available: {}, auto)", name, fmt::join(names, ", "));
  if (name == "auto") name = default_backend_name();
  const std::string dtype_flag = args.str("dtype", "f32");
  RECUR_USAGE_CHECK(dtype_flag == "f32" || dtype_flag == "f64",
                    "--dtype: expected f32 or f64, got '{}'", dtype_flag);
  const DType dtype = dtype_flag == "f64" ? DType::F64 : DType::F32;
  const double bound = args.number("bound", default_bound(name, dtype));
  RECUR_USAGE_CHECK(bound >= 0, "--bound: must be >= 0, got {}", bound);
  const uint64_t seed = static_cast<uint64_t>(args.integer("seed", 1));

  std::unique_ptr<Backend> backend = make_backend(name);
  std::unique_ptr<Backend> ref = make_backend("cpu-ref");
  const std::vector<CheckCase> cases =
      sweep(args.flag("quick"), name != "cudnn" && name != "onednn");

  std::string device = "CPU";
  if (name == "cuda" || name == "cudnn") gpu_available(&device);
  std::printf(
      "recur check: %s (%s) against cpu-ref, %s, %zu configurations, bound %.0e, seed %llu\n\n",
      name.c_str(), device.c_str(), dtype_name(dtype), cases.size(), bound,
      static_cast<unsigned long long>(seed));
  std::printf("%-50s", "configuration");
  for (const char* column : kColumnNames) std::printf(" %9s", column);
  std::printf("  result\n");

  const auto start = std::chrono::steady_clock::now();
  int failed = 0, skipped = 0;
  for (size_t i = 0; i < cases.size(); ++i) {
    const std::string why = backend->unsupported(cases[i].spec(), dtype, true);
    if (!why.empty()) {
      ++skipped;
      std::printf("%-50s  skipped: %s\n", cases[i].name().c_str(), why.c_str());
      continue;
    }
    const Row row = run_case(*backend, *ref, cases[i], dtype, seed * 1000003 + i);
    const bool ok = row.pass(bound);
    failed += ok ? 0 : 1;
    std::printf("%-50s", cases[i].name().c_str());
    for (int c = 0; c < kColumns; ++c) {
      if (!row.present[c]) {
        std::printf(" %9s", "-");
      } else {
        std::printf(" %9.1e", row.worst[c].rel);
      }
    }
    std::printf("  %s\n", ok ? "ok" : "FAIL");
    if (!row.error.empty()) {
      std::printf("    error: %s\n", row.error.c_str());
    } else if (!ok) {
      for (int c = 0; c < kColumns; ++c)
        if (row.present[c] && !(row.worst[c].rel <= bound && row.worst[c].max_abs <= 10 * bound))
          std::printf(
              "    %s: relative error %.3e (bound %.0e), scaled max-abs %.3e (bound %.0e)\n",
              kColumnNames[c], row.worst[c].rel, bound, row.worst[c].max_abs, 10 * bound);
    }
    std::fflush(stdout);
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("\n%zu configurations: %zu passed, %d failed, %d skipped (%.1f s)\n", cases.size(),
              cases.size() - static_cast<size_t>(failed + skipped), failed, skipped, seconds);
  return failed == 0 ? 0 : 1;
}

}  // namespace recur::cli
