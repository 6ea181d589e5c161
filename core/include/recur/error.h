// recur::Error, the one exception type of the library, and RECUR_CHECK, the one way to state
// a precondition. Messages name what was wrong ("tensor 'h0': expected shape [2, 3, 5], got
// [2, 3]"), so that a caller can print e.what() as the only line a user sees.
#pragma once

#include <stdexcept>
#include <string>

#include <fmt/format.h>

namespace recur {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

}  // namespace recur

// RECUR_CHECK(cond, "format {}", args...): throws recur::Error with the formatted message when
// cond is false. For conditions that depend on the caller's input.
#define RECUR_CHECK(cond, ...)                                   \
  do {                                                           \
    if (!(cond)) throw ::recur::Error(fmt::format(__VA_ARGS__)); \
  } while (0)

// RECUR_FAIL("format {}", args...): throws unconditionally.
#define RECUR_FAIL(...) throw ::recur::Error(fmt::format(__VA_ARGS__))

// RECUR_ASSERT(cond): an internal invariant; names the condition, file and line.
#define RECUR_ASSERT(cond)                                                                 \
  do {                                                                                     \
    if (!(cond))                                                                           \
      throw ::recur::Error(                                                                \
          fmt::format("internal error: '{}' failed at {}:{}", #cond, __FILE__, __LINE__)); \
  } while (0)
