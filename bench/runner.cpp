#include "runner.h"

#include <algorithm>
#include <exception>

#include "case_data.h"
#include "recur/error.h"
#if RECUR_BENCH_GPU
#include "gpu_timer.h"
#include "gpu_variants.h"
#endif

namespace recur::bench {

namespace {

// Times `backend` on host tensors; the clock stops before the results are checked or freed.
Timing time_on_host(Backend& backend, const BenchCase& c, const CaseData& d,
                    const TimingOptions& options) {
  const bool training = c.mode == Mode::Training;
  ForwardOptions fo;
  fo.training = training;
  bool checked = false;
  const auto call = [&] {
    const double t0 = now_s();
    RnnOutputs out = backend.forward(d.spec, d.params, d.inputs, fo);
    RnnGrads g;
    if (training) g = backend.backward(d.spec, d.params, d.inputs, out, d.grads);
    const double seconds = now_s() - t0;
    if (!checked) {
      check_forward_result(c, out);
      if (training) check_backward_result(c, g);
      checked = true;
    }
    return seconds;
  };
  return measure(call, options);
}

Timing time_backend(const std::string& name, Backend& backend, const BenchCase& c,
                    const CaseData& d, const TimingOptions& options) {
  if (!is_gpu_backend(name)) return time_on_host(backend, c, d, options);
#if RECUR_BENCH_GPU
  return time_on_device(backend, c, d, options);
#else
  RECUR_FAIL("recur_bench was built without CUDA (RECUR_CUDA=OFF): no GPU timer");
#endif
}

}  // namespace

const std::vector<std::string>& known_backends() {
  static const std::vector<std::string> names = {
      "cpu-ref",       "onednn", "cpu",       "cudnn",        "cudnn-static", "cudnn-small-h",
      "cudnn-dynamic", "cuda",   "cuda-step", "cuda-persist", "cuda-bf16"};
  return names;
}

std::string known_backends_text() {
  return fmt::format("{}", fmt::join(known_backends(), ", "));
}

std::string comparison_of(const std::string& backend, const std::vector<std::string>& run) {
  const auto in_run = [&](const char* n) {
    return std::find(run.begin(), run.end(), n) != run.end();
  };
  if (backend == "cpu") return in_run("onednn") ? "onednn" : in_run("cpu-ref") ? "cpu-ref" : "";
  if (backend.rfind("cuda", 0) == 0) return in_run("cudnn") ? "cudnn" : "";
  return "";
}

bool is_gpu_backend(const std::string& backend) {
  return backend.rfind("cuda", 0) == 0 || backend.rfind("cudnn", 0) == 0;
}

namespace {

// The registry's backends, and (with CUDA) recur_bench's GPU variants (gpu_variants.h).
std::unique_ptr<Backend> make_named_backend(const std::string& name) {
#if RECUR_BENCH_GPU
  if (is_gpu_variant(name)) return make_gpu_variant(name);
#else
  RECUR_CHECK(name.find('-') == std::string::npos || name == "cpu-ref",
              "backend {}: recur_bench was built without CUDA (RECUR_CUDA=OFF)", name);
#endif
  return make_backend(name);
}

}  // namespace

Runner::Runner(RunOptions options)
    : options_(std::move(options)), floor_(TimingOptions{1, 3, 0.02, 1000}) {
  for (const std::string& name : options_.backends) {
    const auto& known = known_backends();
    RECUR_CHECK(std::find(known.begin(), known.end(), name) != known.end(),
                "unknown backend '{}' (known: {})", name, known_backends_text());
  }
  for (const std::string& name : known_backends()) {
    if (std::find(options_.backends.begin(), options_.backends.end(), name) ==
        options_.backends.end())
      continue;
    order_.push_back(name);
    try {
      made_[name] = make_named_backend(name);
    } catch (const std::exception& e) {
      make_errors_[name] = e.what();
    }
  }
}

bool Runner::skipped(const std::string& backend, const BenchCase& c, std::string* why) const {
  // A comparison backend that does not run this case says why (onednn: RNN cells, f64).
  const auto made = made_.find(backend);
  if (made != made_.end()) {
    const std::string reason =
        made->second->unsupported(c.spec(), options_.dtype, c.mode == Mode::Training);
    if (!reason.empty()) {
      if (why) *why = "skipped: " + reason;
      return true;
    }
    const std::string no_lengths =
        c.ragged == Ragged::None ? "" : made->second->unsupported_lengths();
    if (!no_lengths.empty()) {
      if (why) *why = "skipped: " + no_lengths;
      return true;
    }
#if RECUR_BENCH_GPU
    const std::string declined = gpu_variant_skip(backend, *made->second, c, options_.dtype);
    if (!declined.empty()) {
      if (why) *why = "skipped: " + declined;
      return true;
    }
#endif
  }
  const double gflop = call_flops(c) * 1e-9;
  if (backend != "cpu-ref" || gflop <= options_.ref_limit_gflop) return false;
  if (why)
    *why = fmt::format("skipped: {:.3g} GFLOP per call > --ref-limit {:g} (cpu-ref is slow)", gflop,
                       options_.ref_limit_gflop);
  return true;
}

Row Runner::run_one(const std::string& name, const BenchCase& c, const CaseData* data,
                    const std::string& data_error) {
  Row row;
  row.c = c;
  row.backend = name;
  row.dtype = options_.dtype;
  row.flops = call_flops(c);
  // The comparison is named only when it is part of this run.
  row.compare = comparison_of(name, order_);
  std::string why;
  if (skipped(name, c, &why)) {
    row.status = RowStatus::Skipped;
    row.message = why;
    return row;
  }
  auto err = make_errors_.find(name);
  if (err != make_errors_.end()) {
    row.message = fmt::format("backend {}: {}", name, err->second);
    return row;
  }
  if (!data) {
    row.message = fmt::format("backend {}: setting up the case failed: {}", name, data_error);
    return row;
  }
  try {
    Backend& backend = *made_.at(name);
#if RECUR_BENCH_GPU
    const size_t notes = gpu_variant_notes(name, backend);
#endif
    row.timing = time_backend(name, backend, c, *data, options_.timing);
    row.status = RowStatus::Ok;
    if (c.ragged != Ragged::None) {
      // The same batch padded (no lengths), on the same backend: ratio = padded / ragged.
      CaseData padded = *data;
      padded.inputs.lengths = Tensor();
      const Timing p = time_backend(name, *made_.at(name), c, padded, options_.timing);
      row.compare = "padded";
      row.ratio = p.median_s / row.timing.median_s;
    }
#if RECUR_BENCH_GPU
    // A cuDNN variant whose algorithm cuDNN refused timed the standard one: not its row.
    const std::string refused = gpu_variant_fallback(name, backend, notes);
    if (!refused.empty()) {
      row.status = RowStatus::Skipped;
      row.message = "skipped: " + refused;
    }
    row.message = row.ok() ? gpu_row_note(name, backend) : row.message;
#endif
  } catch (const std::exception& e) {
    row.message = fmt::format("backend {}: {}", name, e.what());
    return row;
  }
  if (options_.gemm_floor && !is_gpu_backend(name) && c.ragged == Ragged::None) {
    try {
      row.gemm_floor_s = floor_.seconds(c, options_.dtype);
    } catch (const std::exception& e) {
      row.message = fmt::format("GEMM floor not measured: {}", e.what());
    }
  }
  return row;
}

std::vector<Row> Runner::run_case(const BenchCase& c,
                                  const std::function<void(const Row&)>& before_row,
                                  const std::function<void(const Row&)>& on_row) {
  // The data is made only when some backend will run on it.
  std::unique_ptr<CaseData> data;
  std::string data_error;
  const bool needed = std::any_of(order_.begin(), order_.end(), [&](const std::string& n) {
    return !skipped(n, c, nullptr) && !make_errors_.count(n);
  });
  if (needed) {
    try {
      data = std::make_unique<CaseData>(make_case_data(c, options_.dtype, options_.seed));
    } catch (const std::exception& e) {
      data_error = e.what();
    }
  }

  std::vector<Row> rows;
  for (const std::string& name : order_) {
    Row announce;
    announce.c = c;
    announce.backend = name;
    before_row(announce);
    Row row = run_one(name, c, data.get(), data_error);
    if (row.ok() && !row.compare.empty()) {
      for (const Row& r : rows)
        if (r.backend == row.compare && r.ok()) row.ratio = r.timing.median_s / row.timing.median_s;
    }
    on_row(row);
    rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace recur::bench
