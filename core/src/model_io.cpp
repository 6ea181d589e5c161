#include "recur/model_io.h"

#include <charconv>
#include <cmath>
#include <set>
#include <string_view>

#include "core/src/json.h"

namespace recur {

namespace {

using Metadata = std::map<std::string, std::string>;

const std::string& required(const Metadata& m, const std::string& key, const std::string& what) {
  const auto it = m.find(key);
  RECUR_CHECK(it != m.end(), "{}: metadata key '{}' is missing", what, key);
  return it->second;
}

// Plain decimal digits (no sign, spaces or exponent), greater than zero.
int64_t positive_int(const Metadata& m, const std::string& key, const std::string& what) {
  const std::string& v = required(m, key, what);
  uint64_t n = 0;
  const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  RECUR_CHECK(!v.empty() && end == v.data() + v.size() && ec != std::errc::invalid_argument,
              "{}: metadata '{}' must be a positive integer, got {}", what, key, json::display(v));
  RECUR_CHECK(ec != std::errc::result_out_of_range && n <= static_cast<uint64_t>(INT64_MAX),
              "{}: metadata '{}' is too large: {}", what, key, json::display(v));
  RECUR_CHECK(n > 0, "{}: metadata '{}' must be a positive integer, got {}", what, key,
              json::display(v));
  return static_cast<int64_t>(n);
}

// Optional: 0 when absent; else plain decimal digits (0 allowed, as PyTorch's default).
int64_t proj_size(const Metadata& m, const std::string& what) {
  const auto it = m.find("proj_size");
  if (it == m.end()) return 0;
  const std::string& v = it->second;
  uint64_t n = 0;
  const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  RECUR_CHECK(!v.empty() && end == v.data() + v.size() && ec != std::errc::invalid_argument,
              "{}: metadata 'proj_size' must be a non-negative integer, got {}", what,
              json::display(v));
  RECUR_CHECK(ec != std::errc::result_out_of_range && n <= static_cast<uint64_t>(INT64_MAX),
              "{}: metadata 'proj_size' is too large: {}", what, json::display(v));
  return static_cast<int64_t>(n);
}

bool boolean(const Metadata& m, const std::string& key, const std::string& what) {
  const std::string& v = required(m, key, what);
  if (v == "true" || v == "True" || v == "1") return true;
  if (v == "false" || v == "False" || v == "0") return false;
  RECUR_FAIL("{}: metadata '{}' must be true or false, got {}", what, key, json::display(v));
}

double dropout(const Metadata& m, const std::string& what) {
  const auto it = m.find("dropout");
  if (it == m.end()) return 0.0;
  const std::string& v = it->second;
  double p = 0.0;
  const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), p);
  RECUR_CHECK(!v.empty() && ec == std::errc() && end == v.data() + v.size() && std::isfinite(p) &&
                  p >= 0.0 && p <= 1.0,
              "{}: metadata 'dropout' must be a number in [0, 1], got {}", what, json::display(v));
  return p;
}

// weight_ih_l0, bias_hh_l3_reverse, weight_hr_l1 (an LSTM projection):
// names PyTorch gives RNN parameters, whether or not they belong to a given spec.
bool looks_like_rnn_param(std::string_view name) {
  for (std::string_view base : {"weight_", "bias_"}) {
    if (name.substr(0, base.size()) != base) continue;
    std::string_view rest = name.substr(base.size());
    const std::string_view which = rest.substr(0, 2);
    if (which != "ih" && which != "hh" && which != "hr") return false;
    rest.remove_prefix(2);
    if (rest.substr(0, 2) != "_l") return false;
    rest.remove_prefix(2);
    size_t digits = 0;
    while (digits < rest.size() && rest[digits] >= '0' && rest[digits] <= '9') ++digits;
    if (digits == 0) return false;
    rest.remove_prefix(digits);
    return rest.empty() || rest == "_reverse";
  }
  return false;
}

std::string describe(const RnnSpec& spec) {
  return fmt::format("{}-layer {} {} {}{}", spec.num_layers,
                     spec.bidirectional ? "bidirectional" : "unidirectional", cell_name(spec.cell),
                     spec.bias ? "with bias" : "without bias",
                     spec.proj_size > 0 ? fmt::format(", proj_size {}", spec.proj_size) : "");
}

}  // namespace

RnnSpec spec_from_metadata(const Metadata& metadata, const std::string& what) {
  RnnSpec spec;
  const std::string& mode = required(metadata, "mode", what);
  bool known = false;
  for (const CellInfo& info : kCells)
    if (mode == info.name) {
      spec.cell = info.cell;
      known = true;
    }
  RECUR_CHECK(known, "{}: metadata 'mode': unknown mode {} (expected {})", what,
              json::display(mode), cell_names());
  spec.input_size = positive_int(metadata, "input_size", what);
  spec.hidden_size = positive_int(metadata, "hidden_size", what);
  spec.num_layers = positive_int(metadata, "num_layers", what);
  spec.bidirectional = boolean(metadata, "bidirectional", what);
  spec.bias = boolean(metadata, "bias", what);
  spec.batch_first = boolean(metadata, "batch_first", what);
  spec.dropout = dropout(metadata, what);
  spec.proj_size = proj_size(metadata, what);
  try {
    spec.validate();  // the range limits: sizes the engine can index
  } catch (const Error& e) {
    RECUR_FAIL("{}: metadata: {}", what, e.what());
  }
  return spec;
}

Metadata spec_to_metadata(const RnnSpec& spec) {
  spec.validate();
  Metadata m;
  m["mode"] = cell_name(spec.cell);
  m["input_size"] = std::to_string(spec.input_size);
  m["hidden_size"] = std::to_string(spec.hidden_size);
  m["num_layers"] = std::to_string(spec.num_layers);
  m["bidirectional"] = spec.bidirectional ? "true" : "false";
  m["bias"] = spec.bias ? "true" : "false";
  m["batch_first"] = spec.batch_first ? "true" : "false";
  // fmt's "{}" is the shortest text that from_chars reads back to the same double.
  if (spec.dropout != 0.0) m["dropout"] = fmt::format("{}", spec.dropout);
  if (spec.proj_size > 0) m["proj_size"] = std::to_string(spec.proj_size);
  return m;
}

RnnParams params_from_file(const RnnSpec& spec, const TensorFile& file, const std::string& what,
                           DType dtype, bool allow_extra, const std::string& prefix) {
  RECUR_CHECK(dtype == DType::F32 || dtype == DType::F64,
              "{}: parameters can be loaded as F32 or F64, not {}", what, dtype_name(dtype));
  std::map<std::string_view, const Tensor*> by_name;
  for (const auto& [name, t] : file.tensors) by_name.emplace(name, &t);

  RnnParams params(spec, dtype);
  std::set<std::string_view> used;
  for (size_t i = 0; i < params.size(); ++i) {
    const std::string name = prefix + params.name(i);
    const Shape& shape = params[i].shape();
    const auto it = by_name.find(name);
    RECUR_CHECK(it != by_name.end(), "{}: tensor '{}' is missing (expected shape {} for a {})",
                what, name, shape_str(shape), describe(spec));
    const Tensor& t = *it->second;
    used.insert(it->first);
    RECUR_CHECK(t.device() == Device::CPU, "{}: tensor '{}' is on a device, not the host", what,
                name);
    RECUR_CHECK(t.shape() == shape, "{}: tensor '{}': expected shape {}, got {} (a {})", what, name,
                shape_str(shape), shape_str(t.shape()), describe(spec));
    RECUR_CHECK(dtype_is_float(t.dtype()),
                "{}: tensor '{}': expected a floating-point dtype, got {}", what, name,
                dtype_name(t.dtype()));
    params.set(i, t.dtype() == dtype ? t.clone() : t.to(dtype));
  }
  for (const auto& [name, t] : file.tensors) {
    if (used.count(name)) continue;
    const bool under_prefix = name.compare(0, prefix.size(), prefix) == 0;
    RECUR_CHECK(
        !(under_prefix && looks_like_rnn_param(std::string_view(name).substr(prefix.size()))),
        "{}: unexpected tensor {}: not a parameter of a {}", what, json::display(name),
        describe(spec));
    RECUR_CHECK(allow_extra, "{}: unexpected tensor {} (not a parameter of a {})", what,
                json::display(name), describe(spec));
  }
  return params;
}

void add_params(TensorFile& file, const RnnParams& params, const std::string& prefix) {
  for (size_t i = 0; i < params.size(); ++i) file.add(prefix + params.name(i), params[i]);
}

}  // namespace recur
