// What the cuda backend keeps between calls: one stream per lane (lane 0 is the main lane),
// the events that fork and join them, one cuBLAS handle per lane, and a stream-ordered memory
// pool for every per-call buffer. Internal header (includes CUDA).
//
// Memory comes from the context's own pool (cudaMallocFromPoolAsync on the main lane's
// stream) and goes back with cudaFreeAsync on the same stream, so that freeing a buffer while
// work using it is queued is safe (the driver joins every lane into the main one before its
// buffers are released), and per-call allocation costs no device synchronization. The pool
// keeps freed memory cached (release threshold: unlimited) so steady-state calls do not map
// memory again.
//
// Ordering with the caller: a call starts after work the caller queued on the legacy default
// stream (after_legacy_stream) and, when it hands device tensors back, work the caller
// queues on the legacy default stream afterwards runs after it (before_legacy_stream). With
// host tensors the call synchronizes before returning.
#pragma once

#include <cstddef>
#include <memory>

#include "kernels/common/executor.h"
#include "kernels/cuda/cublas_gemm.h"
#include "kernels/cuda/device_memory.h"

namespace recur::cuda {

// Thrown when the pool cannot serve an allocation; the message names the bytes requested.
class OutOfDeviceMemory : public Error {
 public:
  using Error::Error;
};

class CudaContext {
 public:
  explicit CudaContext(bool allow_tf32);  // on the current device
  ~CudaContext();
  CudaContext(const CudaContext&) = delete;
  CudaContext& operator=(const CudaContext&) = delete;

  bool allow_tf32() const { return allow_tf32_; }
  void make_current() const;  // cudaSetDevice(the context's device)
  cudaStream_t stream(int lane) const;
  cublasHandle_t cublas(int lane) const;

  // `bytes` of pool memory, usable on the main lane's stream (and on lane 1 after a fork).
  // Out of memory throws OutOfDeviceMemory naming the bytes requested.
  void* allocate(size_t bytes);
  // Returns memory to the pool after the work queued on the main lane; never throws.
  void release(void* ptr) noexcept;
  // The same, first ordering the release after work queued on the legacy default stream: for
  // buffers handed to the caller as device tensors.
  void release_after_legacy(void* ptr) noexcept;

  void fork();                  // lane 1 waits for everything queued on lane 0
  void join();                  // lane 0 waits for everything queued on lane 1
  void after_legacy_stream();   // lane 0 waits for the legacy default stream
  void before_legacy_stream();  // the legacy default stream waits for lane 0
  void synchronize();           // the host waits for lane 0

 private:
  int device_ = 0;
  bool allow_tf32_ = false;
  Stream streams_[kMaxLanes];
  Event fork_, join_, legacy_, done_;
  std::unique_ptr<CublasHandle> cublas_[kMaxLanes];
  cudaMemPool_t pool_ = nullptr;
};

// Move-only owner of pool memory; keeps the context alive as long as it lives. `exported`
// buffers (storage of device tensors given to the caller) are released after the legacy
// default stream.
class PoolBuffer {
 public:
  PoolBuffer() = default;
  PoolBuffer(std::shared_ptr<CudaContext> ctx, size_t bytes, bool exported = false);
  ~PoolBuffer() { reset(); }
  PoolBuffer(PoolBuffer&& other) noexcept;
  PoolBuffer& operator=(PoolBuffer&& other) noexcept;
  PoolBuffer(const PoolBuffer&) = delete;
  PoolBuffer& operator=(const PoolBuffer&) = delete;

  void* get() const { return ptr_; }
  size_t bytes() const { return bytes_; }
  void reset() noexcept;

 private:
  std::shared_ptr<CudaContext> ctx_;
  void* ptr_ = nullptr;
  size_t bytes_ = 0;
  bool exported_ = false;
};

// A device tensor (Device::CUDA) whose storage is a PoolBuffer of `ctx`.
Tensor pool_tensor(const std::shared_ptr<CudaContext>& ctx, const Shape& shape, DType dtype);

}  // namespace recur::cuda
