// A small command-line flag parser shared by the subcommands: `--name value`, `--name=value`
// and boolean `--flag`. Unknown flags, missing values and malformed numbers are errors that
// name the flag.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace recur::cli {

class Args {
 public:
  // `value_flags` take a value; `bool_flags` do not. "--help"/"-h" is always accepted.
  Args(int argc, char** argv, const std::vector<std::string>& value_flags,
       const std::vector<std::string>& bool_flags = {});

  bool help() const { return help_; }
  bool has(const std::string& name) const;
  bool flag(const std::string& name) const { return has(name); }
  std::string str(const std::string& name, const std::string& fallback = "") const;
  std::string required(const std::string& name) const;  // throws if absent
  int64_t integer(const std::string& name, int64_t fallback) const;
  double number(const std::string& name, double fallback) const;
  const std::vector<std::string>& positional() const { return positional_; }

 private:
  std::map<std::string, std::string> values_;
  std::vector<std::string> positional_;
  bool help_ = false;
};

}  // namespace recur::cli
