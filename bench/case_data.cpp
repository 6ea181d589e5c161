#include "case_data.h"

#include <algorithm>
#include <cmath>

#include "recur/random.h"

namespace recur::bench {

namespace {

Tensor random_tensor(const Shape& shape, DType dtype, Rng& rng) {
  Tensor t = Tensor::empty(shape, dtype);
  const int64_t n = t.numel();
  if (dtype == DType::F32) {
    float* p = t.data<float>();
    for (int64_t i = 0; i < n; ++i) p[i] = static_cast<float>(rng.uniform(-1.0, 1.0));
  } else {
    double* p = t.data<double>();
    for (int64_t i = 0; i < n; ++i) p[i] = rng.uniform(-1.0, 1.0);
  }
  return t;
}

template <class T>
bool all_finite(const Tensor& t) {
  const T* p = t.data<T>();
  for (int64_t i = 0; i < t.numel(); ++i)
    if (!std::isfinite(p[i])) return false;
  return true;
}

}  // namespace

CaseData make_case_data(const BenchCase& c, DType dtype, uint64_t seed) {
  RECUR_CHECK(dtype == DType::F32 || dtype == DType::F64, "dtype {} cannot be benchmarked",
              dtype_name(dtype));
  CaseData d;
  d.spec = c.spec();
  d.spec.validate();
  d.params = RnnParams::init_uniform(d.spec, seed, dtype);
  Rng rng(seed ^ 0x5EED5EEDull);
  const int64_t LD = c.L * d.spec.directions();
  const int64_t DH = d.spec.directions() * c.H;
  d.inputs.input = random_tensor({c.T, c.B, c.I}, dtype, rng);
  d.inputs.h0 = random_tensor({LD, c.B, c.H}, dtype, rng);
  if (d.spec.has_cell_state()) d.inputs.c0 = random_tensor({LD, c.B, c.H}, dtype, rng);
  const std::vector<int64_t> lengths = c.lengths();
  if (!lengths.empty()) {
    d.inputs.lengths = Tensor::empty({c.B}, DType::I64);
    std::copy(lengths.begin(), lengths.end(), d.inputs.lengths.data<int64_t>());
  }
  if (c.mode == Mode::Training) {
    d.grads.output = random_tensor({c.T, c.B, DH}, dtype, rng);
    d.grads.h_n = random_tensor({LD, c.B, c.H}, dtype, rng);
    if (d.spec.has_cell_state()) d.grads.c_n = random_tensor({LD, c.B, c.H}, dtype, rng);
  }
  return d;
}

void check_finite(const Tensor& t, const Shape& shape, const char* what) {
  RECUR_CHECK(t.defined(), "{} was not returned", what);
  RECUR_CHECK(t.shape() == shape, "{} has shape {}, expected {}", what, shape_str(t.shape()),
              shape_str(shape));
  if (t.device() != Device::CPU) return;
  const bool ok = t.dtype() == DType::F32 ? all_finite<float>(t) : all_finite<double>(t);
  RECUR_CHECK(ok, "{} holds NaN or infinity", what);
}

void check_forward_result(const BenchCase& c, const RnnOutputs& out) {
  const int64_t D = c.bidirectional ? 2 : 1;
  check_finite(out.output, {c.T, c.B, D * c.H}, "output");
  check_finite(out.h_n, {c.L * D, c.B, c.H}, "h_n");
}

void check_backward_result(const BenchCase& c, const RnnGrads& grads) {
  check_finite(grads.input, {c.T, c.B, c.I}, "grad input");
}

}  // namespace recur::bench
