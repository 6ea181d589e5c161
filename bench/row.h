// One result row of recur_bench: a case, a backend, and either a timing or why there is none.
#pragma once

#include <cmath>
#include <limits>
#include <string>

#include "bench_case.h"
#include "recur/tensor.h"
#include "timing.h"

namespace recur::bench {

enum class RowStatus { Ok, Failed, Skipped };

struct Row {
  BenchCase c;
  std::string backend;
  DType dtype = DType::F32;
  RowStatus status = RowStatus::Failed;
  std::string message;  // Failed: "backend X: <error>"; Skipped: why
  Timing timing;        // Ok only
  double flops = 0;     // call_flops(c)

  // The comparison backend when it is part of this run ("" otherwise); ratio = its median /
  // this median (> 1: this row is faster), NaN when it failed or was skipped.
  std::string compare;
  double ratio = std::numeric_limits<double>::quiet_NaN();
  // The GEMM floor (gemm_floor.h) for CPU rows; NaN otherwise.
  double gemm_floor_s = std::numeric_limits<double>::quiet_NaN();

  bool ok() const { return status == RowStatus::Ok; }
  double gflops() const { return flops / timing.median_s * 1e-9; }
  double us_per_step() const { return timing.median_s / static_cast<double>(c.T) * 1e6; }
  // Percent of the GEMM floor reached: 100 * floor / median.
  double gemm_percent() const { return 100.0 * gemm_floor_s / timing.median_s; }
};

}  // namespace recur::bench
