#include "kernels/cuda/device_memory.h"

#include "kernels/backends.h"

namespace recur::cuda {

DeviceBuffer::DeviceBuffer(size_t bytes) : bytes_(bytes) {
  if (bytes == 0) return;
  const cudaError_t st = cudaMalloc(&ptr_, bytes);
  if (st == cudaErrorMemoryAllocation) {
    (void)cudaGetLastError();  // clear the sticky-free allocation error
    size_t free_b = 0, total_b = 0;
    (void)cudaMemGetInfo(&free_b, &total_b);
    RECUR_FAIL("out of GPU memory: requested {} bytes, {} of {} bytes free", bytes, free_b,
               total_b);
  }
  CUDA_CHECK(st);
}

DeviceBuffer::~DeviceBuffer() {
  if (ptr_) (void)cudaFree(ptr_);  // destructors do not throw
}

DeviceBuffer& DeviceBuffer::operator=(DeviceBuffer&& other) noexcept {
  if (this != &other) {
    if (ptr_) (void)cudaFree(ptr_);
    ptr_ = std::exchange(other.ptr_, nullptr);
    bytes_ = std::exchange(other.bytes_, 0);
  }
  return *this;
}

Tensor device_empty(const Shape& shape, DType dtype) {
  auto buffer =
      std::make_shared<DeviceBuffer>(static_cast<size_t>(shape_numel(shape)) * dtype_size(dtype));
  void* ptr = buffer->get();
  // The aliasing constructor keeps the buffer alive through the tensor's storage pointer.
  return Tensor::from_storage(shape, dtype, Device::CUDA,
                              std::shared_ptr<void>(buffer, ptr ? ptr : buffer.get()));
}

Tensor to_device(const Tensor& host) {
  RECUR_CHECK(host.device() == Device::CPU, "to_device: tensor is already on the device");
  Tensor d = device_empty(host.shape(), host.dtype());
  if (host.nbytes())
    CUDA_CHECK(cudaMemcpy(d.raw(), host.raw(), host.nbytes(), cudaMemcpyHostToDevice));
  return d;
}

Tensor to_host(const Tensor& device) {
  RECUR_CHECK(device.device() == Device::CUDA, "to_host: tensor is not on the device");
  Tensor h = Tensor::empty(device.shape(), device.dtype());
  if (h.nbytes()) CUDA_CHECK(cudaMemcpy(h.raw(), device.raw(), h.nbytes(), cudaMemcpyDeviceToHost));
  return h;
}

Stream::Stream() {
  CUDA_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking));
}
Stream::~Stream() {
  if (stream_) (void)cudaStreamDestroy(stream_);
}

Event::Event(bool timing) {
  CUDA_CHECK(cudaEventCreateWithFlags(&event_, timing ? cudaEventDefault : cudaEventDisableTiming));
}
Event::~Event() {
  if (event_) (void)cudaEventDestroy(event_);
}
void Event::record(cudaStream_t stream) {
  CUDA_CHECK(cudaEventRecord(event_, stream));
}
void Event::wait_on(cudaStream_t stream) const {
  CUDA_CHECK(cudaStreamWaitEvent(stream, event_, 0));
}
float Event::elapsed_ms_since(const Event& start) const {
  float ms = 0;
  CUDA_CHECK(cudaEventElapsedTime(&ms, start.event_, event_));
  return ms;
}

}  // namespace recur::cuda

namespace recur {

// Checks the status, not the count: without a driver cudaGetDeviceCount returns an error and
// leaves the count unwritten.
bool cuda_device_available(std::string* description) {
  int count = 0;
  const cudaError_t st = cudaGetDeviceCount(&count);
  if (st != cudaSuccess) {
    (void)cudaGetLastError();
    if (description)
      *description = fmt::format("no usable CUDA device ({})", cudaGetErrorString(st));
    return false;
  }
  if (count == 0) {
    if (description) *description = "no CUDA device present";
    return false;
  }
  // The device a backend made now would use: the current one.
  int device = 0;
  CUDA_CHECK(cudaGetDevice(&device));
  cudaDeviceProp prop{};
  CUDA_CHECK(cudaGetDeviceProperties(&prop, device));
  if (description)
    *description =
        fmt::format("{} (sm_{}{}, {} SMs, {:.1f} GiB)", prop.name, prop.major, prop.minor,
                    prop.multiProcessorCount, prop.totalGlobalMem / 1073741824.0);
  return true;
}

}  // namespace recur
