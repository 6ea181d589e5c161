// RECUR_CHECK, the one way recur's sources state a precondition, and its siblings. Internal:
// not installed, since it formats with fmt, which the installed headers do not expose. Reached
// through recur/error.h in every target of recur's build (RECUR_INTERNAL_CHECKS).
#pragma once

#include <fmt/format.h>

#include "recur/error.h"

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
