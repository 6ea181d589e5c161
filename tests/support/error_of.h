// The message of the recur::Error a callable throws, for tests that compare error texts.
#pragma once

#include <string>

#include "recur/error.h"

namespace recur::test {

// The message of the recur::Error that `f` throws ("" if it throws none).
template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace recur::test
