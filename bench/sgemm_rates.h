// The headline GEMM rates of the machine, measured in the same run as the rows: one float
// 512 x 512 x 512 product through recur's own GEMM (the cpu executor on the full thread pool,
// as the `cpu` backend calls it), through oneDNN's dnnl_sgemm (when recur_bench is built with
// oneDNN), and through OpenBLAS (the GEMM floor's library). The best of recur's and oneDNN's
// is the rate issue 12's target "90% of the best sgemm" refers to.
#pragma once

#include <cstdint>

#include "timing.h"

namespace recur::bench {

struct SgemmRates {
  double recur_gflops = 0;   // 0 when the active ISA has no packed GEMM (scalar)
  double onednn_gflops = 0;  // 0 when not built with oneDNN
  double best() const { return recur_gflops > onednn_gflops ? recur_gflops : onednn_gflops; }
};

SgemmRates measure_sgemm_rates(int64_t n, const TimingOptions& timing);

}  // namespace recur::bench
