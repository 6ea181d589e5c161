// Tensor: a dense, row-major, contiguous array with a shape and a dtype. Copies are shallow
// (they share storage, as in PyTorch); clone() copies the data. Storage lives on the CPU or
// on a CUDA device; the device kind is a tag, and device storage is made by the CUDA backend
// (through from_storage) so that this header never needs CUDA.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "recur/error.h"

namespace recur {

// F32 and F64 are computed with; F16 and BF16 are read from files and converted. I32 and I64
// hold integers (sequence lengths); they are never converted to or from the float dtypes
// implicitly (Tensor::to refuses), only read through item() or data<int32_t/int64_t>().
enum class DType : uint8_t { F32, F64, F16, BF16, I32, I64 };
enum class Device : uint8_t { CPU, CUDA };

using Shape = std::vector<int64_t>;

size_t dtype_size(DType dtype);
const char* dtype_name(DType dtype);        // safetensors spelling: "F32", "F64", "F16", "BF16",
                                            // "I32", "I64"
bool dtype_is_float(DType dtype);           // F32, F64, F16, BF16
std::string shape_str(const Shape& shape);  // "[2, 3, 5]"
int64_t shape_numel(const Shape& shape);    // throws on negative dims or overflow

template <class T>
constexpr DType dtype_of();
template <>
constexpr DType dtype_of<float>() {
  return DType::F32;
}
template <>
constexpr DType dtype_of<double>() {
  return DType::F64;
}
template <>
constexpr DType dtype_of<int32_t>() {
  return DType::I32;
}
template <>
constexpr DType dtype_of<int64_t>() {
  return DType::I64;
}

class Tensor {
 public:
  Tensor() = default;  // undefined: no shape, no storage

  static Tensor empty(const Shape& shape, DType dtype = DType::F32);  // CPU, uninitialised
  static Tensor zeros(const Shape& shape, DType dtype = DType::F32);
  static Tensor full(const Shape& shape, double value, DType dtype = DType::F32);
  // Wraps storage owned elsewhere (device memory, a mapped file); `data` keeps it alive.
  static Tensor from_storage(const Shape& shape, DType dtype, Device device,
                             std::shared_ptr<void> data);

  bool defined() const { return static_cast<bool>(data_); }
  const Shape& shape() const { return shape_; }
  int64_t ndim() const { return static_cast<int64_t>(shape_.size()); }
  int64_t dim(int64_t i) const;  // negative i counts from the end
  int64_t numel() const { return numel_; }
  size_t nbytes() const { return static_cast<size_t>(numel_) * dtype_size(dtype_); }
  DType dtype() const { return dtype_; }
  Device device() const { return device_; }

  void* raw() { return data_.get(); }
  const void* raw() const { return data_.get(); }
  // Typed access to CPU data; throws if T does not match the dtype or the tensor is on a device.
  template <class T>
  T* data();
  template <class T>
  const T* data() const;

  Tensor clone() const;  // CPU only: a deep copy
  // CPU only: converted copy (or a shallow copy if equal); between float dtypes only.
  Tensor to(DType dtype) const;
  Tensor reshape(const Shape& shape) const;  // same storage, same numel
  void fill(double value);                   // CPU only
  // CPU only: element `index` of the flat data, as double (an I64 beyond 2^53 rounds).
  double item(int64_t index) const;

 private:
  Shape shape_;
  int64_t numel_ = 0;
  DType dtype_ = DType::F32;
  Device device_ = Device::CPU;
  std::shared_ptr<void> data_;
  void check_typed_access(DType want) const;
};

template <class T>
T* Tensor::data() {
  check_typed_access(dtype_of<T>());
  return static_cast<T*>(data_.get());
}
template <class T>
const T* Tensor::data() const {
  check_typed_access(dtype_of<T>());
  return static_cast<const T*>(data_.get());
}

// IEEE binary16 and bfloat16 conversions (round to nearest even), used by file I/O.
float half_to_float(uint16_t bits);
uint16_t float_to_half(float value);
float bf16_to_float(uint16_t bits);
uint16_t float_to_bf16(float value);
// The same roundings from double, rounded once (not through float, which can round a value
// just past a tie onto the tie and then to even: the wrong way).
uint16_t double_to_half(double value);
uint16_t double_to_bf16(double value);

// Throws recur::Error("<what>: expected shape [..], got [..]") unless t has exactly `shape`.
void check_shape(const Tensor& t, const Shape& shape, const std::string& what);

}  // namespace recur
