// Internal: reading and writing typed values in a checkpoint's string metadata. Numbers are
// written with 17 significant digits so that doubles read back bit-exact.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace recur::train::detail {

using Metadata = std::map<std::string, std::string>;

std::string format_double(double v);
// Errors name `what` (the file) and the key.
const std::string& meta_string(const Metadata& m, const std::string& key, const std::string& what);
double meta_double(const Metadata& m, const std::string& key, const std::string& what);
int64_t meta_int(const Metadata& m, const std::string& key, const std::string& what);
uint64_t meta_uint(const Metadata& m, const std::string& key, const std::string& what);
// Comma-separated numbers ("" is the empty list).
std::string format_doubles(const std::vector<double>& v);
std::vector<double> meta_doubles(const Metadata& m, const std::string& key,
                                 const std::string& what);

}  // namespace recur::train::detail
