// The CPU comparison besides cpu-ref: the machine's own BLAS rate at the same GEMM shapes,
// measured in the same run.
//
// The "GEMM floor" of a call is the time the call's matrix products alone take when each is run
// once with BLAS at exactly the driver's shapes, one after another, per layer and direction
// (GH = G*H, I_l = the layer's input width):
//   forward   X[T*B, I_l] x W_ih^T -> [T*B, GH]          once (the input projection)
//             h[B, H] x W_hh^T -> [B, GH]                T times (the recurrent GEMM)
//   backward  dG[B, GH] x W_hh -> [B, H]                 T times (the recurrent data gradient)
//             dG[T*B, GH] x W_ih -> [T*B, I_l]           once (the input gradient)
//             dG^T x X -> [GH, I_l], dG^T x h -> [GH, H] once each (weight gradients over all
//             steps)
// Each product is timed as the fastest of cblas_sgemm (dgemm for f64) and, when one output
// dimension is 1 (B = 1), cblas_sgemv; each with OpenBLAS's threads and, for small products
// (<= 0.5 GFLOP, where thread hand-off can cost more than it gains), on one thread.
// Its FLOPs are exactly the case's counted FLOPs (forward, or 3x for training), so
// floor / median is the fraction of the machine's BLAS rate a backend reaches at its own shapes
// (pointwise work, memory traffic and synchronization are what separate the two). A backend
// can beat it (> 100%) by overlapping products, e.g. the two directions of a layer.
#pragma once

#include <cstdint>
#include <map>
#include <tuple>

#include "bench_case.h"
#include "recur/tensor.h"
#include "timing.h"

namespace recur::bench {

class GemmFloor {
 public:
  explicit GemmFloor(const TimingOptions& timing) : timing_(timing) {}

  // Seconds of the GEMMs of one call of `c` in `dtype` (F32 or F64). Each distinct GEMM shape
  // is measured once per run (median over repeats) and cached.
  double seconds(const BenchCase& c, DType dtype);
  // GFLOP/s of one square n x n x n GEMM: the headline rate of this machine's BLAS.
  double square_rate_gflops(int64_t n, DType dtype);

 private:
  // C[m, n] = op(A)[m, k] op(B)[k, n], row-major, as in kernels/common/gemm.h.
  double gemm_seconds(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, DType dtype);

  TimingOptions timing_;
  std::map<std::tuple<bool, bool, int64_t, int64_t, int64_t, DType>, double> cache_;
};

}  // namespace recur::bench
