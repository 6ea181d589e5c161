#include "validation/compare.h"

#include <algorithm>
#include <cmath>

namespace recur::validation {

Tolerance default_tolerance(const std::string& backend, DType dtype) {
  if (dtype == DType::F64) return kF64;
  return backend == "cpu" || backend == "cpu-ref" || backend == "onednn" ? kF32Cpu : kF32Gpu;
}

bool Difference::within(Tolerance tol) const {
  return nonfinite == 0 && rel <= tol.rel && max_abs <= tol.max_abs;
}

Difference difference(const Tensor& got, const Tensor& ref) {
  RECUR_CHECK(got.defined() && ref.defined() && got.shape() == ref.shape(),
              "result of shape {} where {} was expected",
              got.defined() ? shape_str(got.shape()) : "(none)",
              ref.defined() ? shape_str(ref.shape()) : "(none)");
  Difference d;
  double num = 0, den = 0, ref_max = 0, abs_max = 0;
  for (int64_t i = 0; i < ref.numel(); ++i) {
    const double g = got.item(i), r = ref.item(i);
    if (!std::isfinite(g) && std::isfinite(r)) {
      ++d.nonfinite;
      continue;
    }
    const double e = g - r;
    num += e * e;
    den += r * r;
    abs_max = std::max(abs_max, std::abs(e));
    ref_max = std::max(ref_max, std::abs(r));
  }
  d.rel = den > 0 ? std::sqrt(num / den) : std::sqrt(num);
  d.max_abs = abs_max / std::max(1.0, ref_max);
  return d;
}

std::string mismatch(const Tensor& got, const Tensor& ref, Tolerance tol, int shown) {
  if (!ref.defined()) return "reference is undefined";
  if (!got.defined()) return "result is undefined";
  if (got.shape() != ref.shape())
    return fmt::format("shape {} != reference {}", shape_str(got.shape()), shape_str(ref.shape()));
  const Difference d = difference(got, ref);
  if (d.within(tol)) return "";
  std::string text =
      fmt::format("{}: rel error {:.6g} (bound {:g}), max abs {:.6g} (bound {:g}), {} non-finite",
                  shape_str(ref.shape()), d.rel, tol.rel, d.max_abs, tol.max_abs, d.nonfinite);
  std::string listed;
  for (int64_t i = 0; i < ref.numel() && shown > 0; ++i) {
    const double g = got.item(i), r = ref.item(i);
    if (!(std::abs(g - r) <= tol.max_abs * std::max(1.0, std::abs(r))) || !std::isfinite(g)) {
      listed += fmt::format("\n  [{}] got {:.9g} want {:.9g}", i, g, r);
      --shown;
    }
  }
  if (!listed.empty()) text += "; first mismatches:" + listed;
  return text;
}

}  // namespace recur::validation
