// The CUDA executor of the time-loop driver (the concept is kernels/common/executor.h):
// cuBLAS for the GEMMs (gemm_translation.h turns the row-major descriptors into cuBLAS's
// column-major arguments), hand-written fused kernels for the pointwise steps (kernels.h),
// one stream per lane. Every operation only enqueues work on its lane's stream and returns;
// nothing synchronizes the host, nothing allocates (the driver's buffers come from `alloc`,
// which is called outside the time loop).
//
// Lanes: lane 0 is the context's main stream; parallel_lanes(2, body) records a fork event
// on it that lane 1's stream waits for, lets both bodies enqueue, and makes the main stream
// wait for a join event recorded on lane 1 — also when a body throws, so that buffers freed
// (stream-ordered, on the main stream) during the unwinding are not still in use on lane 1.
// The input projection of a direction runs on that direction's lane, so the two directions'
// projections and recurrences overlap each other; the driver's interface has no separate lane
// on which a projection could overlap its own direction's recurrence (the first step needs
// all of it anyway).
#pragma once

#include <cstdint>
#include <exception>
#include <memory>
#include <utility>
#include <vector>

#include "kernels/common/executor.h"
#include "kernels/common/fused_recurrence.h"
#include "kernels/common/gemm.h"
#include "kernels/cuda/cuda_context.h"
#include "kernels/cuda/persistent_plan.h"

namespace recur::cuda {

template <class T>
class CudaExecutor {
 public:
  using value_type = T;

  // n elements of device memory from the context's pool, contents undefined.
  class Buffer {
   public:
    Buffer() = default;
    Buffer(std::shared_ptr<CudaContext> ctx, int64_t n)
        : memory_(std::move(ctx), static_cast<size_t>(n) * sizeof(T)) {}
    T* data() const { return static_cast<T*>(memory_.get()); }

   private:
    PoolBuffer memory_;
  };

  explicit CudaExecutor(std::shared_ptr<CudaContext> ctx) : ctx_(std::move(ctx)) {}

  Buffer alloc(int64_t n) {
    RECUR_CHECK(n >= 0, "cuda executor: negative allocation of {} elements", n);
    return Buffer(ctx_, n);
  }

  // Row indices in device memory (a ragged batch's, kernels/common/driver_ragged.h).
  class Index {
   public:
    Index() = default;
    Index(std::shared_ptr<CudaContext> ctx, int64_t n)
        : memory_(std::move(ctx), static_cast<size_t>(n) * sizeof(int64_t)) {}
    int64_t* data() const { return static_cast<int64_t*>(memory_.get()); }

   private:
    PoolBuffer memory_;
  };
  // Enqueued on the main lane; the copy from pageable host memory is staged at the call.
  Index upload_index(const std::vector<int64_t>& host);

  template <class Body>
  void parallel_lanes(int n, Body&& body) {
    RECUR_CHECK(n == 1 || n == 2, "cuda executor: {} lanes", n);
    if (n == 1) {
      body(0);
      return;
    }
    ctx_->fork();
    std::exception_ptr error;
    for (int lane = 0; lane < n && !error; ++lane) {
      try {
        body(lane);
      } catch (...) {
        error = std::current_exception();
      }
    }
    ctx_->join();
    if (error) std::rethrow_exception(error);
  }

  void gemm(int lane, const GemmDesc& g, const T* a, const T* b, T* c);
  void fill(int lane, int64_t n, T value, T* dst);
  void copy_2d(int lane, int64_t rows, int64_t cols, const T* src, int64_t lds, T* dst,
               int64_t ldd);
  void transpose_01(int lane, int64_t n0, int64_t n1, int64_t f, const T* src, T* dst);
  void dropout(int lane, uint64_t seed, int64_t layer, double p, int64_t n, const T* src, T* dst);
  void gather_rows(int lane, int64_t rows, int64_t cols, const int64_t* index, const T* src,
                   int64_t lds, T* dst, int64_t ldd);
  void dropout_rows(int lane, uint64_t seed, int64_t layer, double p, int64_t rows, int64_t cols,
                    const int64_t* index, const T* src, T* dst);
  void column_sum(int lane, int64_t rows, int64_t cols, const T* src, int64_t lds, T* dst,
                  bool accumulate);

  // The fused pointwise steps (cell_step.h), one kernel launch each (steps.cu).
  template <class Step>
  void run_step(int lane, const Step& step);

  // The persistent path (persistent.h): when the backend chose it for this call's pass, with
  // grid `shape`, the driver's offer of a direction's whole time loop (driver_fused.h) runs as
  // one cooperative kernel and returns true; otherwise false and the driver runs its steps.
  // float only (double always returns false).
  void use_persistent(PersistentPass pass, const PersistentShape& shape);
  bool fused_forward(int lane, const fused::FusedForward<T>& f);
  bool fused_backward(int lane, const fused::FusedBackward<T>& f);

 private:
  cudaStream_t stream(int lane) const { return ctx_->stream(lane); }
  std::shared_ptr<CudaContext> ctx_;
  PersistentShape persistent_[2];  // by PersistentPass; blocks == 0: not chosen
};

template <>
bool CudaExecutor<float>::fused_forward(int lane, const fused::FusedForward<float>& f);
template <>
bool CudaExecutor<float>::fused_backward(int lane, const fused::FusedBackward<float>& f);
template <>
bool CudaExecutor<double>::fused_forward(int lane, const fused::FusedForward<double>& f);
template <>
bool CudaExecutor<double>::fused_backward(int lane, const fused::FusedBackward<double>& f);

extern template class CudaExecutor<float>;
extern template class CudaExecutor<double>;

}  // namespace recur::cuda
