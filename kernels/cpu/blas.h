// One GemmDesc on the calling thread, through OpenBLAS's row-major cblas (which recur keeps
// single-threaded during its calls, BlasSingleThreaded below). A single output row (B == 1 in
// the time loop) is a GEMV: the AVX2 one of gemv.h against a transposed B, else OpenBLAS's.
#pragma once

#include "kernels/common/gemm.h"

namespace recur::cpu {

void blas_gemm(const GemmDesc& g, const float* a, const float* b, float* c);
void blas_gemm(const GemmDesc& g, const double* a, const double* b, double* c);

// While alive, OpenBLAS runs single-threaded (recur's pool owns the cores); the previous
// setting is restored afterwards, so code around recur keeps its multithreaded BLAS.
class BlasSingleThreaded {
 public:
  BlasSingleThreaded();
  ~BlasSingleThreaded();
  BlasSingleThreaded(const BlasSingleThreaded&) = delete;
  BlasSingleThreaded& operator=(const BlasSingleThreaded&) = delete;

 private:
  int previous_;
};

}  // namespace recur::cpu
