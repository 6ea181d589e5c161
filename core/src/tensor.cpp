#include "recur/tensor.h"

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>

#include "recur/files.h"

namespace recur {

size_t dtype_size(DType dtype) {
  switch (dtype) {
    case DType::F32:
      return 4;
    case DType::F64:
      return 8;
    case DType::F16:
      return 2;
    case DType::BF16:
      return 2;
    case DType::I32:
      return 4;
    case DType::I64:
      return 8;
  }
  RECUR_FAIL("unknown dtype {}", static_cast<int>(dtype));
}

const char* dtype_name(DType dtype) {
  switch (dtype) {
    case DType::F32:
      return "F32";
    case DType::F64:
      return "F64";
    case DType::F16:
      return "F16";
    case DType::BF16:
      return "BF16";
    case DType::I32:
      return "I32";
    case DType::I64:
      return "I64";
  }
  return "?";
}

bool dtype_is_float(DType dtype) {
  return dtype == DType::F32 || dtype == DType::F64 || dtype == DType::F16 || dtype == DType::BF16;
}

std::string shape_str(const Shape& shape) {
  return fmt::format("[{}]", fmt::join(shape, ", "));
}

int64_t shape_numel(const Shape& shape) {
  int64_t n = 1;
  for (int64_t d : shape) {
    RECUR_CHECK(d >= 0, "negative dimension in shape {}", shape_str(shape));
    RECUR_CHECK(d == 0 || n <= std::numeric_limits<int64_t>::max() / d,
                "shape {} has too many elements", shape_str(shape));
    n *= d;
  }
  return n;
}

namespace {

// 64-byte aligned host storage, so that SIMD loads and BLAS see aligned rows.
std::shared_ptr<void> host_alloc(size_t bytes) {
  const size_t rounded = (std::max<size_t>(bytes, 1) + 63) / 64 * 64;
  void* p = std::aligned_alloc(64, rounded);
  RECUR_CHECK(p != nullptr, "out of host memory allocating {} bytes", bytes);
  return std::shared_ptr<void>(p, [](void* q) { std::free(q); });
}

}  // namespace

Tensor Tensor::empty(const Shape& shape, DType dtype) {
  Tensor t;
  t.shape_ = shape;
  t.numel_ = shape_numel(shape);
  t.dtype_ = dtype;
  RECUR_CHECK(static_cast<uint64_t>(t.numel_) <= std::numeric_limits<size_t>::max() / 8,
              "shape {} is too large", shape_str(shape));
  // A big request is compared with the memory available first (reading /proc/meminfo costs
  // microseconds: nothing beside a 64 MiB allocation), so that it fails with its size named
  // instead of ending in the out-of-memory killer.
  if (t.nbytes() >= (size_t{64} << 20))
    check_memory(t.nbytes(), fmt::format("allocating a {} tensor of shape {}", dtype_name(dtype),
                                         shape_str(shape)));
  t.data_ = host_alloc(t.nbytes());
  return t;
}

Tensor Tensor::zeros(const Shape& shape, DType dtype) {
  Tensor t = empty(shape, dtype);
  std::memset(t.raw(), 0, t.nbytes());
  return t;
}

Tensor Tensor::full(const Shape& shape, double value, DType dtype) {
  Tensor t = empty(shape, dtype);
  t.fill(value);
  return t;
}

Tensor Tensor::from_storage(const Shape& shape, DType dtype, Device device,
                            std::shared_ptr<void> data) {
  RECUR_CHECK(data != nullptr, "Tensor::from_storage: null storage");
  Tensor t;
  t.shape_ = shape;
  t.numel_ = shape_numel(shape);
  t.dtype_ = dtype;
  t.device_ = device;
  t.data_ = std::move(data);
  return t;
}

int64_t Tensor::dim(int64_t i) const {
  const int64_t n = ndim();
  if (i < 0) i += n;
  RECUR_CHECK(i >= 0 && i < n, "dimension {} out of range for a tensor of shape {}", i,
              shape_str(shape_));
  return shape_[static_cast<size_t>(i)];
}

void Tensor::check_typed_access(DType want) const {
  RECUR_CHECK(defined(), "access to an undefined tensor");
  RECUR_CHECK(device_ == Device::CPU, "host access to a device tensor");
  RECUR_CHECK(dtype_ == want, "tensor is {}, accessed as {}", dtype_name(dtype_), dtype_name(want));
}

Tensor Tensor::clone() const {
  if (!defined()) return Tensor();
  RECUR_CHECK(device_ == Device::CPU, "clone of a device tensor");
  Tensor t = empty(shape_, dtype_);
  std::memcpy(t.raw(), raw(), nbytes());
  return t;
}

namespace {

double load(DType dtype, const void* p, int64_t i) {
  switch (dtype) {
    case DType::F32:
      return static_cast<const float*>(p)[i];
    case DType::F64:
      return static_cast<const double*>(p)[i];
    case DType::F16:
      return half_to_float(static_cast<const uint16_t*>(p)[i]);
    case DType::BF16:
      return bf16_to_float(static_cast<const uint16_t*>(p)[i]);
    case DType::I32:
      return static_cast<double>(static_cast<const int32_t*>(p)[i]);
    case DType::I64:
      return static_cast<double>(static_cast<const int64_t*>(p)[i]);
  }
  return 0.0;
}

void store(DType dtype, void* p, int64_t i, double v) {
  switch (dtype) {
    case DType::F32:
      static_cast<float*>(p)[i] = static_cast<float>(v);
      break;
    case DType::F64:
      static_cast<double*>(p)[i] = v;
      break;
    case DType::F16:
      static_cast<uint16_t*>(p)[i] = double_to_half(v);
      break;
    case DType::BF16:
      static_cast<uint16_t*>(p)[i] = double_to_bf16(v);
      break;
    case DType::I32:
      static_cast<int32_t*>(p)[i] = static_cast<int32_t>(v);  // fill() only: integral values
      break;
    case DType::I64:
      static_cast<int64_t*>(p)[i] = static_cast<int64_t>(v);
      break;
  }
}

}  // namespace

Tensor Tensor::to(DType dtype) const {
  if (!defined() || dtype == dtype_) return *this;
  RECUR_CHECK(device_ == Device::CPU, "dtype conversion of a device tensor");
  RECUR_CHECK(dtype_is_float(dtype_) && dtype_is_float(dtype),
              "no conversion from {} to {}: integer tensors are not converted", dtype_name(dtype_),
              dtype_name(dtype));
  Tensor t = empty(shape_, dtype);
  for (int64_t i = 0; i < numel_; ++i) store(dtype, t.raw(), i, load(dtype_, raw(), i));
  return t;
}

Tensor Tensor::reshape(const Shape& shape) const {
  RECUR_CHECK(shape_numel(shape) == numel_, "cannot reshape {} to {}", shape_str(shape_),
              shape_str(shape));
  Tensor t = *this;
  t.shape_ = shape;
  return t;
}

void Tensor::fill(double value) {
  RECUR_CHECK(defined() && device_ == Device::CPU, "fill needs a defined host tensor");
  for (int64_t i = 0; i < numel_; ++i) store(dtype_, raw(), i, value);
}

double Tensor::item(int64_t index) const {
  RECUR_CHECK(defined() && device_ == Device::CPU, "item needs a defined host tensor");
  RECUR_CHECK(index >= 0 && index < numel_, "index {} out of range for {} elements", index, numel_);
  return load(dtype_, raw(), index);
}

float half_to_float(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exp = (h >> 10) & 0x1Fu;
  uint32_t mant = h & 0x3FFu;
  uint32_t bits;
  if (exp == 0x1F) {
    bits = sign | 0x7F800000u | (mant << 13);  // inf / nan
  } else if (exp != 0) {
    bits = sign | ((exp + 112) << 23) | (mant << 13);
  } else if (mant == 0) {
    bits = sign;
  } else {  // subnormal: normalise
    uint32_t e = 113;
    while ((mant & 0x400u) == 0) {
      mant <<= 1;
      --e;
    }
    bits = sign | (e << 23) | ((mant & 0x3FFu) << 13);
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

uint16_t float_to_half(float f) {
  uint32_t x;
  std::memcpy(&x, &f, 4);
  const uint16_t sign = static_cast<uint16_t>((x >> 16) & 0x8000u);
  const uint32_t abs = x & 0x7FFFFFFFu;
  if (abs >= 0x7F800000u) return sign | (abs > 0x7F800000u ? 0x7E00u : 0x7C00u);
  if (abs >= 0x477FF000u) return sign | 0x7C00u;  // rounds to >= 65520: inf
  if (abs < 0x38800000u) {                        // below the smallest normal half
    if (abs < 0x33000000u) return sign;           // rounds to zero
    const uint32_t e = abs >> 23;
    const uint32_t m = (abs & 0x7FFFFFu) | 0x800000u;
    const uint32_t shift = 126 - e;  // 14..24
    uint32_t r = m >> shift;
    const uint32_t rem = m & ((1u << shift) - 1);
    const uint32_t half = 1u << (shift - 1);
    if (rem > half || (rem == half && (r & 1u))) ++r;
    return sign | static_cast<uint16_t>(r);
  }
  uint32_t r = abs - 0x38000000u;  // rebias exponent 127 -> 15
  const uint32_t rem = r & 0x1FFFu;
  r >>= 13;
  if (rem > 0x1000u || (rem == 0x1000u && (r & 1u))) ++r;
  return sign | static_cast<uint16_t>(r);
}

float bf16_to_float(uint16_t b) {
  const uint32_t bits = static_cast<uint32_t>(b) << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

uint16_t float_to_bf16(float f) {
  uint32_t x;
  std::memcpy(&x, &f, 4);
  if ((x & 0x7FFFFFFFu) > 0x7F800000u) return static_cast<uint16_t>((x >> 16) | 0x40u);  // nan
  const uint32_t rounding = 0x7FFFu + ((x >> 16) & 1u);
  return static_cast<uint16_t>((x + rounding) >> 16);
}

namespace {

// `v` rounded to float by "round to odd": truncated toward zero, with the last bit set when
// anything was cut off. Float keeps at least two bits more than half and bfloat16 (also in
// their subnormal ranges, which scale with float's), so rounding this float to nearest even
// gives exactly the nearest-even rounding of `v` itself.
float round_to_odd(double v) {
  if (!std::isfinite(v)) return static_cast<float>(v);
  float f = static_cast<float>(v);  // nearest; may round up in magnitude or overflow to inf
  if (std::fabs(static_cast<double>(f)) > std::fabs(v)) f = std::nextafter(f, 0.0f);
  if (static_cast<double>(f) != v) {
    uint32_t bits;
    std::memcpy(&bits, &f, 4);
    bits |= 1u;
    std::memcpy(&f, &bits, 4);
  }
  return f;
}

}  // namespace

uint16_t double_to_half(double value) {
  return float_to_half(round_to_odd(value));
}

uint16_t double_to_bf16(double value) {
  return float_to_bf16(round_to_odd(value));
}

void check_shape(const Tensor& t, const Shape& shape, const std::string& what) {
  RECUR_CHECK(t.defined(), "{}: missing (expected shape {})", what, shape_str(shape));
  RECUR_CHECK(t.shape() == shape, "{}: expected shape {}, got {}", what, shape_str(shape),
              shape_str(t.shape()));
}

}  // namespace recur
