#include "support/compare.h"

namespace recur::test {

::testing::AssertionResult close(const Tensor& got, const Tensor& ref, Tolerance tol,
                                 const std::string& what) {
  const std::string wrong = validation::mismatch(got, ref, tol);
  if (wrong.empty()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << what << " " << wrong;
}

}  // namespace recur::test
