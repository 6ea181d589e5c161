// recur::Error, the one exception type of the library. Messages name what was wrong ("tensor
// 'h0': expected shape [2, 3, 5], got [2, 3]"), so that a caller can print e.what() as the only
// line a user sees.
//
// This header is all an installed copy of recur has of it: no fmt. recur's own sources state
// their preconditions with RECUR_CHECK, RECUR_FAIL and RECUR_ASSERT (core/src/check.h, not
// installed, formats with fmt); every target of recur's build defines RECUR_INTERNAL_CHECKS
// (the recur_internal target in the top CMakeLists.txt), so that a source that has the
// exception type has the macros too.
#pragma once

#include <stdexcept>
#include <string>

namespace recur {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

}  // namespace recur

#if defined(RECUR_INTERNAL_CHECKS)
#include "core/src/check.h"
#endif
