#include "args.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>

#include "recur/error.h"

namespace recur::cli {

namespace {
bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}
}  // namespace

Args::Args(int argc, char** argv, const std::vector<std::string>& value_flags,
           const std::vector<std::string>& bool_flags) {
  // --help wins over every other mistake on the line: the user asked how to fix it.
  for (int i = 0; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") help_ = true;
  }
  if (help_) return;
  for (int i = 0; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--", 0) != 0) {
      positional_.push_back(arg);
      continue;
    }
    std::string name = arg.substr(2), value;
    const size_t eq = name.find('=');
    const bool inline_value = eq != std::string::npos;
    if (inline_value) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    RECUR_USAGE_CHECK(!has(name), "flag --{} given twice", name);
    if (contains(bool_flags, name)) {
      RECUR_USAGE_CHECK(!inline_value, "flag --{} takes no value", name);
      values_[name] = "true";
    } else if (contains(value_flags, name)) {
      if (!inline_value) {
        // "--weights --input x" is a forgotten value, not a file named "--input".
        RECUR_USAGE_CHECK(i + 1 < argc && std::string(argv[i + 1]).rfind("--", 0) != 0,
                          "flag --{} needs a value", name);
        value = argv[++i];
      }
      values_[name] = value;
    } else {
      throw UsageError(fmt::format("unknown flag --{} (see --help)", name));
    }
  }
}

void Args::no_positional() const {
  RECUR_USAGE_CHECK(positional_.empty(), "unexpected argument '{}' (see --help)",
                    positional_.front());
}

bool Args::has(const std::string& name) const {
  return values_.count(name) != 0;
}

std::string Args::str(const std::string& name, const std::string& fallback) const {
  auto it = values_.find(name);
  return it == values_.end() ? fallback : it->second;
}

std::string Args::required(const std::string& name) const {
  auto it = values_.find(name);
  RECUR_USAGE_CHECK(it != values_.end(), "missing required flag --{} (see --help)", name);
  return it->second;
}

int64_t Args::integer(const std::string& name, int64_t fallback) const {
  if (!has(name)) return fallback;
  const std::string s = str(name);
  char* end = nullptr;
  errno = 0;
  const long long v = std::strtoll(s.c_str(), &end, 10);
  RECUR_USAGE_CHECK(!s.empty() && end && *end == '\0' && errno == 0,
                    "flag --{}: '{}' is not an integer", name, s);
  return v;
}

int64_t Args::integer_at_least(const std::string& name, int64_t fallback, int64_t min) const {
  if (!has(name)) return fallback;
  const int64_t v = integer(name, fallback);
  RECUR_USAGE_CHECK(v >= min, "flag --{}: must be {}, got {}", name,
                    min == 0   ? std::string("non-negative")
                    : min == 1 ? std::string("positive")
                               : fmt::format("at least {}", min),
                    v);
  return v;
}

uint64_t Args::seed() const {
  return static_cast<uint64_t>(integer_at_least("seed", 0, 0));
}

double Args::number(const std::string& name, double fallback) const {
  if (!has(name)) return fallback;
  const std::string s = str(name);
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(s.c_str(), &end);
  RECUR_USAGE_CHECK(!s.empty() && end && *end == '\0' && errno == 0,
                    "flag --{}: '{}' is not a number", name, s);
  RECUR_USAGE_CHECK(std::isfinite(v), "flag --{}: '{}' is not a finite number", name, s);
  return v;
}

}  // namespace recur::cli
