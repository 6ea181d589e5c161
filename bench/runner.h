// Runs every requested backend on one case and fills its rows: comparisons first (cpu-ref and
// onednn before cpu, cudnn before cuda) so that each row's ratio is known when it is printed.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "bench_case.h"
#include "case_data.h"
#include "gemm_floor.h"
#include "recur/backend.h"
#include "row.h"
#include "timing.h"

namespace recur::bench {

struct RunOptions {
  std::vector<std::string> backends;  // known names, in any order
  TimingOptions timing;
  DType dtype = DType::F32;
  double ref_limit_gflop = 2.0;  // cpu-ref rows above this many GFLOP per call are skipped
  bool gemm_floor = true;        // measure the BLAS comparison for CPU rows
  uint64_t seed = 1;
};

// The names recur_bench knows, in the order it runs them within a case.
const std::vector<std::string>& known_backends();
std::string known_backends_text();  // "cpu-ref, onednn, cpu, cudnn, ..., cuda-persist"
// The backend a row of `backend` is compared with among the run's backends ("" when none):
// cpu -> onednn, or cpu-ref without onednn; cuda, cuda-step, cuda-persist -> cudnn.
std::string comparison_of(const std::string& backend, const std::vector<std::string>& run);
bool is_gpu_backend(const std::string& backend);

class Runner {
 public:
  // Creates the backends once; a backend that cannot be created fails each of its rows with
  // the reason rather than stopping the run. Throws for an unknown name.
  explicit Runner(RunOptions options);

  const std::vector<std::string>& backends() const { return order_; }
  // The rows of one case, one per backend, in run order. `on_row` sees each row as soon as it
  // is complete; `before_row` is told which backend starts (for progress lines). Never throws
  // for a backend's failure: that becomes the row's message.
  std::vector<Row> run_case(const BenchCase& c, const std::function<void(const Row&)>& before_row,
                            const std::function<void(const Row&)>& on_row);
  // Whether a row of `backend` on `c` would be skipped, and why (the cpu-ref work limit, or
  // what the backend does not run: Backend::unsupported).
  bool skipped(const std::string& backend, const BenchCase& c, std::string* why) const;

 private:
  Row run_one(const std::string& name, const BenchCase& c, const CaseData* data,
              const std::string& data_error);

  RunOptions options_;
  std::vector<std::string> order_;
  std::map<std::string, std::unique_ptr<Backend>> made_;
  std::map<std::string, std::string> make_errors_;
  GemmFloor floor_;
};

}  // namespace recur::bench
