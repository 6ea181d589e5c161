#include "kernels/cuda/cuda_context.h"

#include <cstdint>
#include <utility>

namespace recur::cuda {

CudaContext::CudaContext(bool allow_tf32) : allow_tf32_(allow_tf32) {
  CUDA_CHECK(cudaGetDevice(&device_));
  int pools_supported = 0;
  CUDA_CHECK(cudaDeviceGetAttribute(&pools_supported, cudaDevAttrMemoryPoolsSupported, device_));
  RECUR_CHECK(pools_supported,
              "cuda backend: device {} does not support stream-ordered memory pools", device_);
  for (int lane = 0; lane < kMaxLanes; ++lane)
    cublas_[lane] = std::make_unique<CublasHandle>(streams_[lane].get(), allow_tf32);

  cudaMemPoolProps props{};
  props.allocType = cudaMemAllocationTypePinned;
  props.handleTypes = cudaMemHandleTypeNone;
  props.location.type = cudaMemLocationTypeDevice;
  props.location.id = device_;
  CUDA_CHECK(cudaMemPoolCreate(&pool_, &props));
  uint64_t keep_all = UINT64_MAX;  // never give cached memory back at synchronization points
  const cudaError_t st = cudaMemPoolSetAttribute(pool_, cudaMemPoolAttrReleaseThreshold, &keep_all);
  if (st != cudaSuccess) {
    (void)cudaMemPoolDestroy(pool_);
    CUDA_CHECK(st);
  }
}

CudaContext::~CudaContext() {
  // Destructors do not throw: errors here can only repeat an earlier, reported one. The
  // caller's current device is current again afterwards.
  int caller = device_;
  const bool switched = cudaGetDevice(&caller) == cudaSuccess && caller != device_ &&
                        cudaSetDevice(device_) == cudaSuccess;
  for (const Stream& s : streams_) (void)cudaStreamSynchronize(s.get());
  // Buffers still alive keep the context alive, so none is outstanding here.
  if (pool_) (void)cudaMemPoolDestroy(pool_);
  if (switched) (void)cudaSetDevice(caller);
}

void CudaContext::make_current() const {
  CUDA_CHECK(cudaSetDevice(device_));
}

cudaStream_t CudaContext::stream(int lane) const {
  RECUR_ASSERT(lane >= 0 && lane < kMaxLanes);
  return streams_[lane].get();
}

cublasHandle_t CudaContext::cublas(int lane) const {
  RECUR_ASSERT(lane >= 0 && lane < kMaxLanes);
  return cublas_[lane]->get();
}

void* CudaContext::allocate(size_t bytes) {
  if (bytes == 0) return nullptr;
  void* ptr = nullptr;
  const cudaError_t st = cudaMallocFromPoolAsync(&ptr, bytes, pool_, stream(kMainLane));
  if (st == cudaErrorMemoryAllocation) {
    (void)cudaGetLastError();  // not sticky: clear it so later calls do not see it
    size_t free_b = 0, total_b = 0;
    (void)cudaMemGetInfo(&free_b, &total_b);
    throw OutOfDeviceMemory(fmt::format(
        "out of GPU memory: requested {} bytes, {} of {} bytes free", bytes, free_b, total_b));
  }
  CUDA_CHECK(st);
  return ptr;
}

void CudaContext::release(void* ptr) noexcept {
  // A failure cannot be reported from here; clear it so that the next checked call (often a
  // kernel launch's cudaGetLastError) is not blamed for it.
  if (ptr && cudaFreeAsync(ptr, stream(kMainLane)) != cudaSuccess) (void)cudaGetLastError();
}

void CudaContext::release_after_legacy(void* ptr) noexcept {
  if (!ptr) return;
  // cudaStreamLegacy is the legacy stream of the *current* device, and a tensor may be dropped
  // on a thread whose current device is another one: record on this context's device.
  int current = device_;
  const bool switched = cudaGetDevice(&current) == cudaSuccess && current != device_ &&
                        cudaSetDevice(device_) == cudaSuccess;
  const bool ordered = cudaEventRecord(legacy_.get(), cudaStreamLegacy) == cudaSuccess &&
                       cudaStreamWaitEvent(stream(kMainLane), legacy_.get(), 0) == cudaSuccess;
  if (!ordered) {
    // Without the ordering the caller's queued work might still read the memory: wait for
    // everything instead of risking a use after free.
    (void)cudaGetLastError();
    (void)cudaDeviceSynchronize();
  }
  release(ptr);
  if (switched) (void)cudaSetDevice(current);
}

void CudaContext::fork() {
  fork_.record(stream(0));
  fork_.wait_on(stream(1));
}

void CudaContext::join() {
  join_.record(stream(1));
  join_.wait_on(stream(0));
}

void CudaContext::after_legacy_stream() {
  legacy_.record(cudaStreamLegacy);
  legacy_.wait_on(stream(kMainLane));
}

void CudaContext::before_legacy_stream() {
  done_.record(stream(kMainLane));
  done_.wait_on(cudaStreamLegacy);
}

void CudaContext::synchronize() {
  CUDA_CHECK(cudaStreamSynchronize(stream(kMainLane)));
}

PoolBuffer::PoolBuffer(std::shared_ptr<CudaContext> ctx, size_t bytes, bool exported)
    : ctx_(std::move(ctx)), bytes_(bytes), exported_(exported) {
  ptr_ = ctx_->allocate(bytes);
}

PoolBuffer::PoolBuffer(PoolBuffer&& other) noexcept
    : ctx_(std::move(other.ctx_)),
      ptr_(std::exchange(other.ptr_, nullptr)),
      bytes_(std::exchange(other.bytes_, 0)),
      exported_(other.exported_) {}

PoolBuffer& PoolBuffer::operator=(PoolBuffer&& other) noexcept {
  if (this != &other) {
    reset();
    ctx_ = std::move(other.ctx_);
    ptr_ = std::exchange(other.ptr_, nullptr);
    bytes_ = std::exchange(other.bytes_, 0);
    exported_ = other.exported_;
  }
  return *this;
}

void PoolBuffer::reset() noexcept {
  if (ptr_) {
    if (exported_)
      ctx_->release_after_legacy(ptr_);
    else
      ctx_->release(ptr_);
  }
  ptr_ = nullptr;
  bytes_ = 0;
  ctx_.reset();
}

Tensor pool_tensor(const std::shared_ptr<CudaContext>& ctx, const Shape& shape, DType dtype) {
  const size_t bytes = static_cast<size_t>(shape_numel(shape)) * dtype_size(dtype);
  auto buffer = std::make_shared<PoolBuffer>(ctx, bytes, /*exported=*/true);
  void* ptr = buffer->get();
  // The aliasing constructor: the tensor's storage pointer keeps the buffer alive. A tensor
  // needs non-null storage even when it has no elements.
  return Tensor::from_storage(shape, dtype, Device::CUDA,
                              std::shared_ptr<void>(buffer, ptr ? ptr : buffer.get()));
}

}  // namespace recur::cuda
