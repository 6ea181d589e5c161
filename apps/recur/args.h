// A small command-line flag parser shared by the subcommands: `--name value`, `--name=value`
// and boolean `--flag`. Unknown flags, missing values and malformed numbers are UsageErrors
// that name the flag.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "recur/error.h"

namespace recur::cli {

// A mistake in the command line rather than in the files or the run: main prints it like any
// other error but exits with status 2 instead of 1.
class UsageError : public Error {
 public:
  using Error::Error;
};

// RECUR_USAGE_CHECK(cond, "format {}", args...): RECUR_CHECK that throws a UsageError.
#define RECUR_USAGE_CHECK(cond, ...)                                       \
  do {                                                                     \
    if (!(cond)) throw ::recur::cli::UsageError(fmt::format(__VA_ARGS__)); \
  } while (0)

class Args {
 public:
  // `value_flags` take a value; `bool_flags` do not. "--help"/"-h" is always accepted.
  Args(int argc, char** argv, const std::vector<std::string>& value_flags,
       const std::vector<std::string>& bool_flags = {});

  bool help() const { return help_; }
  bool has(const std::string& name) const;
  bool flag(const std::string& name) const { return has(name); }
  std::string str(const std::string& name, const std::string& fallback = "") const;
  std::string required(const std::string& name) const;  // throws a UsageError if absent
  int64_t integer(const std::string& name, int64_t fallback) const;
  // integer(), and a UsageError when the flag is given below `min` (the fallback is trusted).
  int64_t integer_at_least(const std::string& name, int64_t fallback, int64_t min) const;
  double number(const std::string& name, double fallback) const;
  // --seed: a non-negative integer, 0 when absent.
  uint64_t seed() const;
  const std::vector<std::string>& positional() const { return positional_; }
  // Throws a UsageError naming the first positional argument, for commands that take none.
  void no_positional() const;

 private:
  std::map<std::string, std::string> values_;
  std::vector<std::string> positional_;
  bool help_ = false;
};

}  // namespace recur::cli
