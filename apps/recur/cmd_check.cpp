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
#include "validation/compare.h"
#include "validation/sweep.h"

namespace recur::cli {
namespace {

using validation::SweepCase;
using validation::Tolerance;

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

// The columns of the table: the worst error of each output and gradient.
enum Column { kOut, kHn, kCn, kDin, kDh0, kDc0, kDw, kColumns };
const char* const kColumnNames[kColumns] = {"output", "h_n",  "c_n",      "d_input",
                                            "d_h0",   "d_c0", "d_weights"};

// The larger error; a NaN (from a NaN in the reference) is the worst.
double worse(double a, double b) {
  return std::isnan(a) || std::isnan(b) ? NAN : std::max(a, b);
}

// The worst difference in each column, and for each failing column the first failing
// tensor's mismatches.
struct Row {
  validation::Difference worst[kColumns];
  bool present[kColumns] = {};
  std::string mismatch[kColumns];
  std::string error;  // the exception a backend threw, if any

  void add(Column c, const Tensor& got, const Tensor& ref, Tolerance tol) {
    const validation::Difference d = validation::difference(got, ref);
    worst[c].rel = present[c] ? worse(worst[c].rel, d.rel) : d.rel;
    worst[c].max_abs = present[c] ? worse(worst[c].max_abs, d.max_abs) : d.max_abs;
    worst[c].nonfinite += d.nonfinite;
    present[c] = true;
    if (mismatch[c].empty()) mismatch[c] = validation::mismatch(got, ref, tol, 4);
  }
  bool pass(Tolerance tol) const {
    if (!error.empty()) return false;
    for (int c = 0; c < kColumns; ++c)
      if (present[c] && !worst[c].within(tol)) return false;
    return true;
  }
};

void compare_outputs(Row& row, const RnnOutputs& got, const RnnOutputs& ref, Tolerance tol) {
  row.add(kOut, got.output, ref.output, tol);
  row.add(kHn, got.h_n, ref.h_n, tol);
  if (ref.c_n.defined()) row.add(kCn, got.c_n, ref.c_n, tol);
}

Row run_case(Backend& backend, Backend& ref, const SweepCase& c, DType dtype, Tolerance tol,
             uint64_t seed) {
  Row row;
  try {
    const RnnSpec spec = c.spec();
    Rng rng(seed);
    const RnnParams params = RnnParams::init_uniform(spec, rng.next(), dtype);
    RnnInputs in;
    in.input = random_tensor(c.batch_first ? Shape{c.B, c.T, c.I} : Shape{c.T, c.B, c.I}, dtype,
                             rng, -1, 1);
    const Shape state = state_shape(spec, {c.T, c.B});            // h: P wide with proj_size
    const Shape cell_state = cell_state_shape(spec, {c.T, c.B});  // c: H wide
    if (c.states) {
      in.h0 = random_tensor(state, dtype, rng, -0.5, 0.5);
      if (spec.has_cell_state()) in.c0 = random_tensor(cell_state, dtype, rng, -0.5, 0.5);
    }
    in.lengths = c.lengths_tensor();
    compare_outputs(row, backend.forward(spec, params, in, {false, 0}),
                    ref.forward(spec, params, in, {false, 0}), tol);

    const ForwardOptions train{true, rng.next()};
    const RnnOutputs want = ref.forward(spec, params, in, train);
    const RnnOutputs got = backend.forward(spec, params, in, train);
    compare_outputs(row, got, want, tol);
    RnnGradOutputs grads;
    grads.output = random_tensor(want.output.shape(), dtype, rng, -1, 1);
    grads.h_n = random_tensor(state, dtype, rng, -1, 1);
    if (spec.has_cell_state()) grads.c_n = random_tensor(cell_state, dtype, rng, -1, 1);
    if (c.missing_grads == 1) grads.output = Tensor();
    if (c.missing_grads == 2) grads.h_n = grads.c_n = Tensor();
    const RnnGrads g_ref = ref.backward(spec, params, in, want, grads);
    const RnnGrads g_got = backend.backward(spec, params, in, got, grads);
    row.add(kDin, g_got.input, g_ref.input, tol);
    row.add(kDh0, g_got.h0, g_ref.h0, tol);
    if (spec.has_cell_state()) row.add(kDc0, g_got.c0, g_ref.c0, tol);
    for (size_t i = 0; i < g_ref.params.size(); ++i) {
      const Tensor* t = g_got.params.find(g_ref.params.name(i));
      RECUR_CHECK(t != nullptr, "no gradient for {}", g_ref.params.name(i));
      row.add(kDw, *t, g_ref.params[i], tol);
    }
  } catch (const std::exception& e) {
    row.error = e.what();
  }
  return row;
}

void print_usage() {
  std::printf(
      "usage: recur check [--backend NAME] [--quick] [--seed N] [--dtype f32|f64] [--bound X]\n"
      "\n"
      "Runs a randomized sweep of networks (every cell x layers x directions x layout x bias,\n"
      "odd sizes, with and without h0/c0, variable-length batches (`len[..]`: lengths in any\n"
      "order), LSTMs with projections (proj_size); inference, and training forward + backward)\n"
      "through\n"
      "the backend and through cpu-ref, the plain CPU reference, and prints the relative error\n"
      "||got - ref|| / ||ref|| of every output and gradient (d_weights: the worst parameter).\n"
      "A configuration passes when every error is within the bound (float32: 1e-5 for cpu and\n"
      "onednn, 1e-4 for cuda and cudnn; float64: 1e-12) and its scaled max-abs error within ten\n"
      "times the bound. A configuration the backend does not run (onednn: RNN cells, f64,\n"
      "variable lengths) is\n"
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
  const double bound = args.number("bound", validation::default_tolerance(name, dtype).rel);
  RECUR_USAGE_CHECK(bound >= 0, "--bound: must be >= 0, got {}", bound);
  const uint64_t seed = static_cast<uint64_t>(args.integer("seed", 1));
  const Tolerance tol{bound, 10 * bound};  // the test suite's pairing

  std::unique_ptr<Backend> backend = make_backend(name);
  std::unique_ptr<Backend> ref = make_backend("cpu-ref");
  validation::SweepOptions sweep;
  sweep.quick = args.flag("quick");
  sweep.dropout = name != "cudnn" && name != "onednn";
  const std::vector<SweepCase> cases = validation::sweep(sweep);

  std::string device = "CPU";
  if (name == "cuda" || name == "cudnn") gpu_available(&device);
  std::printf(
      "recur check: %s (%s) against cpu-ref, %s, %zu configurations, bound %.0e, seed %llu\n\n",
      name.c_str(), device.c_str(), dtype_name(dtype), cases.size(), bound,
      static_cast<unsigned long long>(seed));
  std::printf("%-64s", "configuration");
  for (const char* column : kColumnNames) std::printf(" %9s", column);
  std::printf("  result\n");

  const auto start = std::chrono::steady_clock::now();
  int failed = 0, skipped = 0;
  for (size_t i = 0; i < cases.size(); ++i) {
    std::string why = backend->unsupported(cases[i].spec(), dtype, true);
    if (why.empty() && !cases[i].lengths.empty()) why = backend->unsupported_lengths();
    if (!why.empty()) {
      ++skipped;
      std::printf("%-64s  skipped: %s\n", cases[i].name().c_str(), why.c_str());
      continue;
    }
    const Row row = run_case(*backend, *ref, cases[i], dtype, tol, seed * 1000003 + i);
    const bool ok = row.pass(tol);
    failed += ok ? 0 : 1;
    std::printf("%-64s", cases[i].name().c_str());
    for (int c = 0; c < kColumns; ++c) {
      if (!row.present[c]) {
        std::printf(" %9s", "-");
      } else if (row.worst[c].nonfinite > 0) {
        std::printf(" %9s", "inf");
      } else {
        std::printf(" %9.1e", row.worst[c].rel);
      }
    }
    std::printf("  %s\n", ok ? "ok" : "FAIL");
    if (!row.error.empty()) {
      std::printf("    error: %s\n", row.error.c_str());
    } else if (!ok) {
      for (int c = 0; c < kColumns; ++c) {
        if (!row.present[c] || row.worst[c].within(tol)) continue;
        std::printf(
            "    %s: relative error %.3e (bound %.0e), scaled max-abs %.3e (bound %.0e), %lld "
            "non-finite\n",
            kColumnNames[c], row.worst[c].rel, tol.rel, row.worst[c].max_abs, tol.max_abs,
            static_cast<long long>(row.worst[c].nonfinite));
        if (!row.mismatch[c].empty()) std::printf("      %s\n", row.mismatch[c].c_str());
      }
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
