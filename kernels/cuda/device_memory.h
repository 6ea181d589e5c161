// RAII owners for device memory, streams and events, and the device query. Internal header.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "kernels/cuda/cuda_check.h"
#include "recur/tensor.h"

namespace recur::cuda {

// Device memory of `bytes` bytes; out-of-memory names the bytes requested.
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  explicit DeviceBuffer(size_t bytes);
  ~DeviceBuffer();
  DeviceBuffer(DeviceBuffer&& other) noexcept
      : ptr_(std::exchange(other.ptr_, nullptr)), bytes_(std::exchange(other.bytes_, 0)) {}
  DeviceBuffer& operator=(DeviceBuffer&& other) noexcept;
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;

  void* get() const { return ptr_; }
  template <class T>
  T* as() const {
    return static_cast<T*>(ptr_);
  }
  size_t bytes() const { return bytes_; }

 private:
  void* ptr_ = nullptr;
  size_t bytes_ = 0;
};

// A device-resident Tensor (Device::CUDA) whose storage is freed with the last copy.
Tensor device_empty(const Shape& shape, DType dtype);
// Host <-> device copies of whole tensors (synchronous).
Tensor to_device(const Tensor& host);
Tensor to_host(const Tensor& device);

class Stream {
 public:
  Stream();  // non-blocking stream
  ~Stream();
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;
  cudaStream_t get() const { return stream_; }

 private:
  cudaStream_t stream_ = nullptr;
};

class Event {
 public:
  explicit Event(bool timing = false);
  ~Event();
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;
  cudaEvent_t get() const { return event_; }
  void record(cudaStream_t stream);
  void wait_on(cudaStream_t stream) const;  // make `stream` wait for this event
  float elapsed_ms_since(const Event& start) const;

 private:
  cudaEvent_t event_ = nullptr;
};

}  // namespace recur::cuda
