#include "metadata.h"

#include <cerrno>
#include <cstdlib>
#include <sstream>

#include "recur/error.h"

namespace recur::train::detail {

std::string format_double(double v) {
  return fmt::format("{:.17g}", v);
}

const std::string& meta_string(const Metadata& m, const std::string& key, const std::string& what) {
  auto it = m.find(key);
  RECUR_CHECK(it != m.end(), "{}: metadata has no '{}'", what, key);
  return it->second;
}

namespace {

double parse_double(const std::string& s, const std::string& key, const std::string& what) {
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(s.c_str(), &end);
  RECUR_CHECK(!s.empty() && *end == '\0' && errno == 0, "{}: metadata '{}': '{}' is not a number",
              what, key, s);
  return v;
}

}  // namespace

double meta_double(const Metadata& m, const std::string& key, const std::string& what) {
  return parse_double(meta_string(m, key, what), key, what);
}

int64_t meta_int(const Metadata& m, const std::string& key, const std::string& what) {
  const std::string& s = meta_string(m, key, what);
  char* end = nullptr;
  errno = 0;
  const long long v = std::strtoll(s.c_str(), &end, 10);
  RECUR_CHECK(!s.empty() && *end == '\0' && errno == 0, "{}: metadata '{}': '{}' is not an integer",
              what, key, s);
  return v;
}

uint64_t meta_uint(const Metadata& m, const std::string& key, const std::string& what) {
  const std::string& s = meta_string(m, key, what);
  char* end = nullptr;
  errno = 0;
  const unsigned long long v = std::strtoull(s.c_str(), &end, 10);
  RECUR_CHECK(!s.empty() && s[0] != '-' && *end == '\0' && errno == 0,
              "{}: metadata '{}': '{}' is not an unsigned integer", what, key, s);
  return v;
}

std::string format_doubles(const std::vector<double>& v) {
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + format_double(v[i]);
  return s;
}

std::vector<double> meta_doubles(const Metadata& m, const std::string& key,
                                 const std::string& what) {
  std::vector<double> v;
  std::stringstream ss(meta_string(m, key, what));
  std::string item;
  while (std::getline(ss, item, ',')) v.push_back(parse_double(item, key, what));
  return v;
}

}  // namespace recur::train::detail
