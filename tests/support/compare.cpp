#include "support/compare.h"

#include <algorithm>
#include <cmath>

namespace recur::test {

Difference difference(const Tensor& got, const Tensor& ref) {
  Difference d;
  double num = 0, den = 0, ref_max = 0, abs_max = 0;
  for (int64_t i = 0; i < ref.numel(); ++i) {
    const double g = got.item(i), r = ref.item(i);
    if (!std::isfinite(g) && std::isfinite(r)) {
      ++d.nan;
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

::testing::AssertionResult close(const Tensor& got, const Tensor& ref, Tolerance tol,
                                 const std::string& what) {
  if (!ref.defined()) return ::testing::AssertionFailure() << what << ": reference is undefined";
  if (!got.defined()) return ::testing::AssertionFailure() << what << ": result is undefined";
  if (got.shape() != ref.shape())
    return ::testing::AssertionFailure() << what << ": shape " << shape_str(got.shape())
                                         << " != reference " << shape_str(ref.shape());
  const Difference d = difference(got, ref);
  if (d.nan == 0 && d.rel <= tol.rel && d.max_abs <= tol.max_abs && std::isfinite(d.rel))
    return ::testing::AssertionSuccess();
  auto failure = ::testing::AssertionFailure();
  failure << what << " " << shape_str(ref.shape()) << ": rel error " << d.rel << " (bound "
          << tol.rel << "), max abs " << d.max_abs << " (bound " << tol.max_abs << "), " << d.nan
          << " non-finite; first mismatches:";
  int shown = 0;
  for (int64_t i = 0; i < ref.numel() && shown < 8; ++i) {
    const double g = got.item(i), r = ref.item(i);
    const double scale = std::max(1.0, std::abs(r));
    if (!(std::abs(g - r) <= tol.max_abs * scale) || !std::isfinite(g)) {
      failure << "\n  [" << i << "] got " << g << " want " << r;
      ++shown;
    }
  }
  return failure;
}

}  // namespace recur::test
