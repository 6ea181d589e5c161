#include "checkpoint.h"

#include <charconv>
#include <cmath>

#include "core/src/json.h"
#include "recur/error.h"

namespace recur::train::detail {

namespace {

constexpr const char* kDigestKey = "checkpoint.digest";

// FNV-1a, 64 bits: catches damage (a flipped bit, a truncated or edited tensor), not forgery.
struct Fnv {
  uint64_t h = 0xcbf29ce484222325ull;
  void add(const void* data, size_t size) {
    const auto* p = static_cast<const uint8_t*>(data);
    for (size_t i = 0; i < size; ++i) h = (h ^ p[i]) * 0x100000001b3ull;
  }
  void add(const std::string& s) { add(s.c_str(), s.size() + 1); }
};

// Over every tensor's name, dtype, shape and bytes, in file order.
std::string digest(const TensorFile& file) {
  Fnv f;
  for (const auto& [name, t] : file.tensors) {
    f.add(name);
    f.add(dtype_name(t.dtype()));
    f.add(shape_str(t.shape()));
    f.add(t.raw(), t.nbytes());
  }
  return fmt::format("fnv1a64:{:016x}", f.h);
}

void check_finite(const TensorFile& file, const std::string& what) {
  for (const auto& [name, t] : file.tensors)
    for (int64_t i = 0; i < t.numel(); ++i)
      RECUR_CHECK(std::isfinite(t.item(i)),
                  "{}: tensor {} holds a non-finite value ({}) at element {}", what,
                  json::display(name), t.item(i), i);
}

}  // namespace

void write_checkpoint(const std::string& path, TensorFile& file) {
  check_finite(file, fmt::format("refusing to write checkpoint '{}'", path));
  file.metadata[kDigestKey] = digest(file);
  write_safetensors(path, file);
}

void validate_checkpoint(const TensorFile& file, const std::string& what) {
  const auto it = file.metadata.find(kDigestKey);
  if (it != file.metadata.end())
    RECUR_CHECK(it->second == digest(file),
                "{}: the tensor data does not match the checkpoint's digest ({}): the file was "
                "damaged or edited",
                what, json::display(it->second));
  check_finite(file, what);
}

TensorFile read_checkpoint(const std::string& path) {
  TensorFile file = read_safetensors(path);
  validate_checkpoint(file, path);
  return file;
}

void check_step_finite(double loss, double grad_norm, int64_t step) {
  RECUR_CHECK(std::isfinite(loss) && std::isfinite(grad_norm),
              "training diverged at step {}: loss {}, gradient norm {}; stopped before that step "
              "(the last checkpoint is kept); a lower --lr or a --clip may help",
              step, loss, grad_norm);
}

int64_t parse_step_count(const std::string& text, const std::string& what) {
  uint64_t n = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  RECUR_CHECK(!text.empty() && ec == std::errc() && end == text.data() + text.size() &&
                  n <= static_cast<uint64_t>(kMaxSteps),
              "{}: {} is not a step count (an integer from 0 to 2^53)", what, json::display(text));
  return static_cast<int64_t>(n);
}

}  // namespace recur::train::detail
