// recur_bench: every requested backend over a size grid, side by side. Prints a table for
// people and writes the same rows as JSON (--json) and optionally an SVG plot (--svg). See
// docs/PERFORMANCE.md "How to benchmark" and `recur_bench --help`.
//
// Exit status: 0 when every row ran or was skipped by design, 3 when some row failed (its
// message is in the table and the JSON), 2 for a usage error, 1 for any other error.
#include <algorithm>
#include <cstdio>
#include <exception>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "apps/recur/args.h"
#include "gemm_floor.h"
#include "grids.h"
#include "progress.h"
#include "recur/recur.h"
#include "report.h"
#include "runner.h"
#include "sgemm_rates.h"
#include "svg_plot.h"

namespace {

using namespace recur;
using namespace recur::bench;

const char* const kUsage = R"(usage: recur_bench [options]

Runs backends over a size grid; prints a table and optionally writes JSON and SVG.

  --grid NAME          quick | cpu | gpu | full (default quick)
                         quick: small shapes, both modes (a smoke test; seconds)
                         cpu:   issue 3's CPU targets, a moderate sweep, DeepBench LSTM
                                points with H <= 1024
                         gpu:   a GPU-sized sweep, DeepBench LSTM points, the seed model
                         full:  H {64..2048} x B {1..256} x T {1,25,100}, DeepBench, seed
  --shape S            instead of a grid, single shapes:
                       CELL,H,I,B,T[,LAYERS[,uni|bi[,MODE[,RAGGED]]]] with MODE inference
                       (default) or training, RAGGED uniform (lengths uniform in [1, T]) or
                       one-long (one sequence of T among short ones), a variable-length batch
                       timed against the same batch padded (vs "padded", ratio = padded /
                       ragged); several separated by ';'
                       e.g. --shape 'LSTM,512,512,64,100;GRU,512,512,64,100,1,uni,training'
  --backends LIST      comma-separated: cpu-ref,onednn,cpu,cudnn,cudnn-static,cudnn-small-h,
                       cudnn-dynamic,cuda,cuda-step,cuda-persist,cuda-bf16 (default: the grid's;
                       onednn is included where recur was built with it)
  --cells LIST         LSTM,GRU,RNN_TANH,RNN_RELU (default: the grid's)
  --mode M             inference | training | both (default: the grid's choice per shape)
  --dtype D            f32 | f64 (default f32)
  --warmup N           untimed calls per row first (default: the grid's)
  --repeats N          at least N timed calls per row (default: the grid's)
  --min-time S         and at least S seconds of timed calls per row (default: the grid's)
  --ref-limit GFLOP    skip cpu-ref rows above this much work per call (default 2)
  --no-gemm-floor      do not measure the BLAS comparison (GEMM%) for CPU rows
  --json FILE          write the rows as JSON (rewritten atomically after every shape)
  --svg FILE           write a plot of GFLOP/s over H
  --svg-batch N        the batch size to plot (default: the one with the most H values)
  --svg-steps N        the step count to plot (default: chosen with the batch)
  --seed N             seed of the random parameters and inputs (default 1)
  --dry-run            list the rows and their work without running them
  --no-progress        no progress lines on stderr

Columns: ms/call and us/step are medians over the timed calls (us/step = ms/call / T);
GFLOP/s counts 2*B*G*H*(I_l+H) per step, layer and direction (x3 for training);
ratio = time of the 'vs' backend / time of this row (> 1: this row is faster); cpu rows
are compared with onednn when it runs, else with cpu-ref;
GEMM% = 100 * the time BLAS alone takes for the same GEMMs / this row's time.
Exit status: 0 all rows ran (or were skipped by design), 3 some rows failed, 2 usage error.
)";

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  std::string item;
  while (std::getline(in, item, ','))
    if (!item.empty()) out.push_back(item);
  return out;
}

std::vector<Cell> parse_cells(const std::string& list) {
  std::vector<Cell> cells;
  for (std::string name : split_list(list)) {
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char ch) { return static_cast<char>(std::toupper(ch)); });
    cells.push_back(parse_cell(name));
  }
  return cells;
}

std::optional<std::vector<Mode>> parse_modes(const std::string& s) {
  if (s.empty()) return std::nullopt;
  if (s == "inference") return std::vector<Mode>{Mode::Inference};
  if (s == "training") return std::vector<Mode>{Mode::Training};
  if (s == "both") return std::vector<Mode>{Mode::Inference, Mode::Training};
  RECUR_FAIL("--mode: expected inference, training or both, got '{}'", s);
}

DType parse_dtype(const std::string& s) {
  if (s == "f32") return DType::F32;
  if (s == "f64") return DType::F64;
  RECUR_FAIL("--dtype: expected f32 or f64, got '{}'", s);
}

int to_int(int64_t v, const char* flag) {
  RECUR_CHECK(v >= 0 && v <= 1000000, "--{}: {} is out of range", flag, v);
  return static_cast<int>(v);
}

struct Config {
  Grid grid;
  RunOptions run;
  std::string json_path, svg_path;
  SvgOptions svg;
  bool dry_run = false;
  bool progress = true;
};

Config parse(int argc, char** argv, bool* help) {
  const cli::Args args(argc, argv,
                       {"grid", "shape", "backends", "cells", "mode", "dtype", "warmup", "repeats",
                        "min-time", "ref-limit", "json", "svg", "svg-batch", "svg-steps", "seed"},
                       {"no-gemm-floor", "dry-run", "no-progress"});
  *help = args.help();
  Config cfg;
  if (*help) return cfg;
  RECUR_CHECK(args.positional().empty(), "unexpected argument '{}' (see --help)",
              args.positional().empty() ? "" : args.positional().front());
  if (args.has("shape")) {
    RECUR_CHECK(!args.has("grid") && !args.has("cells"),
                "--shape replaces --grid and --cells: give one or the other");
    std::vector<std::string> shapes;
    std::stringstream in(args.str("shape"));
    std::string item;
    while (std::getline(in, item, ';'))
      if (!item.empty()) shapes.push_back(item);
    cfg.grid = make_shape_grid(shapes, parse_modes(args.str("mode")));
  } else {
    cfg.grid = make_grid(args.str("grid", "quick"), parse_cells(args.str("cells")),
                         parse_modes(args.str("mode")));
  }
  cfg.run.backends = args.has("backends") ? split_list(args.str("backends")) : cfg.grid.backends;
  RECUR_CHECK(!cfg.run.backends.empty(), "--backends: no backend named");
  for (const std::string& b : cfg.run.backends) {
    const auto& known = known_backends();
    RECUR_CHECK(std::find(known.begin(), known.end(), b) != known.end(),
                "--backends: unknown backend '{}' (known: {})", b, known_backends_text());
  }
  cfg.run.timing = cfg.grid.timing;
  cfg.run.timing.warmup = to_int(args.integer("warmup", cfg.run.timing.warmup), "warmup");
  cfg.run.timing.repeats = to_int(args.integer("repeats", cfg.run.timing.repeats), "repeats");
  RECUR_CHECK(cfg.run.timing.repeats >= 1, "--repeats must be at least 1");
  cfg.run.timing.min_time_s = args.number("min-time", cfg.run.timing.min_time_s);
  RECUR_CHECK(cfg.run.timing.min_time_s >= 0, "--min-time must not be negative");
  cfg.run.dtype = parse_dtype(args.str("dtype", "f32"));
  cfg.run.ref_limit_gflop = args.number("ref-limit", 2.0);
  cfg.run.gemm_floor = !args.flag("no-gemm-floor");
  cfg.run.seed = static_cast<uint64_t>(args.integer("seed", 1));
  cfg.json_path = args.str("json");
  cfg.svg_path = args.str("svg");
  cfg.svg.batch = args.integer("svg-batch", 0);
  cfg.svg.steps = args.integer("svg-steps", 0);
  cfg.dry_run = args.flag("dry-run");
  cfg.progress = !args.flag("no-progress");
  return cfg;
}

void write_text(const std::string& path, const std::string& text) {
  write_file_atomic(path, text.data(), text.size());
}

int run(const Config& cfg) {
  Runner runner(cfg.run);
  std::string gpu;
  gpu_available(&gpu);
  const bool any_cpu = std::any_of(runner.backends().begin(), runner.backends().end(),
                                   [](const std::string& n) { return !is_gpu_backend(n); });

  RunInfo info;
  info.grid = cfg.grid.name;
  info.dtype = cfg.run.dtype == DType::F32 ? "f32" : "f64";
  info.gpu = gpu;
  info.hardware_threads = static_cast<int>(std::thread::hardware_concurrency());
  info.warmup = cfg.run.timing.warmup;
  info.repeats = cfg.run.timing.repeats;
  info.min_time_s = cfg.run.timing.min_time_s;
  info.ref_limit_gflop = cfg.run.ref_limit_gflop;
  info.cpu_model = cpu_model();
  info.cpu_isa = cpu_isa();
  info.cpu_isa_detail = cpu_isa_description();

  std::printf("recur_bench %s: grid %s, %s, backends %s; %d hardware threads; GPU: %s\n", version(),
              info.grid.c_str(), info.dtype.c_str(),
              fmt::format("{}", fmt::join(runner.backends(), ",")).c_str(), info.hardware_threads,
              gpu.c_str());
  std::printf("CPU: %s; cpu backend ISA: %s\n", info.cpu_model.c_str(),
              info.cpu_isa_detail.c_str());
  std::printf("timing: median of >= %d calls and >= %g s per row after %d warm-up call(s)\n",
              info.repeats, info.min_time_s, info.warmup);

  // The rows to run, for the plan, the progress and its ETA.
  int total_rows = 0;
  double total_flops = 0;
  for (const BenchCase& c : cfg.grid.cases)
    for (const std::string& b : runner.backends()) {
      ++total_rows;
      if (!runner.skipped(b, c, nullptr)) total_flops += call_flops(c);
    }
  if (cfg.dry_run) {
    for (const BenchCase& c : cfg.grid.cases)
      for (const std::string& b : runner.backends()) {
        std::string why;
        const bool skip = runner.skipped(b, c, &why);
        std::printf("%-48s %-7s %10.4g GFLOP/call%s%s\n", c.label().c_str(), b.c_str(),
                    call_flops(c) * 1e-9, skip ? "  " : "", skip ? why.c_str() : "");
      }
    std::printf("%d rows, %.4g GFLOP per call in all (rows not skipped)\n", total_rows,
                total_flops * 1e-9);
    return 0;
  }

  if (any_cpu && cfg.run.gemm_floor) {
    GemmFloor peak(TimingOptions{1, 3, 0.1, 1000});
    info.blas_square_gflops = peak.square_rate_gflops(512, cfg.run.dtype);
    std::printf("BLAS %cgemm 512x512x512: %.1f GFLOP/s\n", cfg.run.dtype == DType::F32 ? 's' : 'd',
                info.blas_square_gflops);
    const SgemmRates rates = measure_sgemm_rates(512, TimingOptions{1, 5, 0.1, 1000});
    info.recur_sgemm_gflops = rates.recur_gflops;
    info.onednn_sgemm_gflops = rates.onednn_gflops;
    std::printf("sgemm 512x512x512: recur %.1f GFLOP/s, oneDNN dnnl_sgemm %s GFLOP/s\n",
                rates.recur_gflops,
                rates.onednn_gflops > 0 ? fmt::format("{:.1f}", rates.onednn_gflops).c_str()
                                        : "(not built)");
  }
  std::printf(
      "ratio = time of 'vs' / time of this row (> 1: faster); GEMM%% = 100 * BLAS time "
      "of the same GEMMs / this row's time\n\n%s\n",
      table_header().c_str());
  std::fflush(stdout);

  Progress progress(total_rows, total_flops, cfg.progress);
  std::vector<Row> rows;
  int failed = 0;
  for (const BenchCase& c : cfg.grid.cases) {
    const auto before = [&](const Row& r) { progress.start(c.label() + " " + r.backend); };
    const auto after = [&](const Row& r) {
      progress.clear();
      std::printf("%s\n", table_row(r).c_str());
      std::fflush(stdout);
      const std::string summary =
          r.ok() ? fmt::format("{:.4g} ms, {:.4g} GFLOP/s", r.timing.median_s * 1e3, r.gflops())
                 : r.message;
      progress.finish(r.ok() ? r.flops : 0, c.label() + " " + r.backend, summary);
      if (r.status == RowStatus::Failed) ++failed;
    };
    for (Row& r : runner.run_case(c, before, after)) rows.push_back(std::move(r));
    if (!cfg.json_path.empty()) write_text(cfg.json_path, to_json(info, rows));
  }
  progress.clear();

  std::printf("\n%zu rows: %d failed\n", rows.size(), failed);
  if (!cfg.json_path.empty()) {
    write_text(cfg.json_path, to_json(info, rows));
    std::printf("wrote %s\n", cfg.json_path.c_str());
  }
  if (!cfg.svg_path.empty()) {
    std::string note;
    write_text(cfg.svg_path, svg_plot(rows, cfg.svg, &note));
    std::printf("wrote %s: %s\n", cfg.svg_path.c_str(), note.c_str());
  }
  return failed ? 3 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  Config cfg;
  try {
    bool help = false;
    cfg = parse(argc - 1, argv + 1, &help);
    if (help) {
      std::fputs(kUsage, stdout);
      return 0;
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "recur_bench: %s\n", e.what());
    return 2;
  }
  try {
    return run(cfg);
  } catch (const std::exception& e) {
    std::fflush(stdout);
    std::fprintf(stderr, "recur_bench: error: %s\n", e.what());
    return 1;
  }
}
