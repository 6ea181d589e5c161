#include "recur/safetensors.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <set>

#include "core/src/atomic_file.h"
#include "core/src/json.h"
#include "recur/files.h"

// Tensor bytes are copied between files and memory as they are: safetensors data is
// little-endian, and so must the host be.
#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "recur's safetensors I/O assumes a little-endian host"
#endif

namespace recur {

namespace {

// Beyond this a header length is taken as corruption, not a header (the reference
// implementation uses the same bound).
constexpr uint64_t kMaxHeaderBytes = 100'000'000;
// PyTorch's own limit on tensor rank; it also bounds what a hostile shape can allocate.
constexpr size_t kMaxDims = 64;
constexpr const char* kMetadataKey = "__metadata__";

bool parse_dtype(std::string_view s, DType* out) {
  for (DType d : {DType::F32, DType::F64, DType::F16, DType::BF16, DType::I32, DType::I64})
    if (s == dtype_name(d)) {
      *out = d;
      return true;
    }
  return false;
}

// One tensor of the header, before its bytes are copied.
struct Entry {
  std::string name;
  DType dtype = DType::F32;
  Shape shape;
  uint64_t begin = 0, end = 0;
};

// The next value as a non-negative integer; `where` says which field, for messages.
uint64_t read_u64(json::Reader& r, const std::string& where) {
  const json::Type type = r.peek();
  RECUR_CHECK(type == json::Type::Number, "{} must be a non-negative integer, got {}", where,
              json::type_name(type));
  const json::Number n = r.read_number();
  RECUR_CHECK(!n.negative || !n.integer, "{} is negative ({})", where, n.text);
  RECUR_CHECK(n.integer, "{} must be a non-negative integer, got {}", where, n.text);
  RECUR_CHECK(!n.overflow, "{} is too large ({})", where, n.text);
  return n.value;
}

void expect_type(json::Reader& r, json::Type want, const std::string& where) {
  const json::Type type = r.peek();
  RECUR_CHECK(type == want, "{} must be {}, got {}", where, json::type_name(want),
              json::type_name(type));
}

Entry read_entry(json::Reader& r, const std::string& what, std::string name) {
  Entry e;
  e.name = std::move(name);
  const std::string tensor = fmt::format("{}: tensor {}", what, json::display(e.name));
  expect_type(r, json::Type::Object, tensor);
  bool have_dtype = false, have_shape = false, have_offsets = false;
  std::string field;
  r.begin_object();
  while (r.next_key(&field)) {
    if (field == "dtype") {
      expect_type(r, json::Type::String, tensor + ": 'dtype'");
      const std::string dtype = r.read_string();
      RECUR_CHECK(parse_dtype(dtype, &e.dtype),
                  "{}: dtype {} is not supported: recur reads F32, F64, F16, BF16, I32, I64",
                  tensor, json::display(dtype));
      have_dtype = true;
    } else if (field == "shape") {
      expect_type(r, json::Type::Array, tensor + ": 'shape'");
      r.begin_array();
      while (r.next_element()) {
        RECUR_CHECK(e.shape.size() < kMaxDims, "{}: shape has more than {} dimensions", tensor,
                    kMaxDims);
        const uint64_t dim = read_u64(r, tensor + ": shape dimension");
        RECUR_CHECK(dim <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max()),
                    "{}: shape dimension {} is too large", tensor, dim);
        e.shape.push_back(static_cast<int64_t>(dim));
      }
      have_shape = true;
    } else if (field == "data_offsets") {
      expect_type(r, json::Type::Array, tensor + ": 'data_offsets'");
      uint64_t offsets[2];
      size_t count = 0;
      r.begin_array();
      while (r.next_element()) {
        RECUR_CHECK(count < 2, "{}: data_offsets must be [begin, end], got more than two values",
                    tensor);
        offsets[count] = read_u64(r, tensor + ": data_offsets value");
        ++count;
      }
      RECUR_CHECK(count == 2, "{}: data_offsets must be [begin, end], got {} value(s)", tensor,
                  count);
      e.begin = offsets[0];
      e.end = offsets[1];
      have_offsets = true;
    } else {
      RECUR_FAIL("{}: unknown field {} (expected dtype, shape, data_offsets)", tensor,
                 json::display(field));
    }
  }
  RECUR_CHECK(have_dtype, "{}: missing 'dtype'", tensor);
  RECUR_CHECK(have_shape, "{}: missing 'shape'", tensor);
  RECUR_CHECK(have_offsets, "{}: missing 'data_offsets'", tensor);
  return e;
}

void read_metadata(json::Reader& r, const std::string& what,
                   std::map<std::string, std::string>* metadata) {
  const json::Type type = r.peek();
  RECUR_CHECK(type == json::Type::Object, "{}: {} must be an object of strings, got {}", what,
              kMetadataKey, json::type_name(type));
  std::string key;
  r.begin_object();
  while (r.next_key(&key)) {
    const json::Type value = r.peek();
    RECUR_CHECK(value == json::Type::String, "{}: {} value of key {} must be a string, got {}",
                what, kMetadataKey, json::display(key), json::type_name(value));
    (*metadata)[key] = r.read_string();
  }
}

// The bytes `e` claims, checked against its shape and the data buffer (overflow-safe: every
// quantity is bounded before it is multiplied or added).
void check_extent(const Entry& e, uint64_t data_size, const std::string& what) {
  const std::string tensor = fmt::format("{}: tensor {}", what, json::display(e.name));
  const std::string offsets = fmt::format("data_offsets [{}, {}]", e.begin, e.end);
  uint64_t numel = 1;
  for (int64_t d : e.shape) {
    const auto ud = static_cast<uint64_t>(d);
    RECUR_CHECK(ud == 0 || numel <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) / ud,
                "{}: shape {} has too many elements", tensor, shape_str(e.shape));
    numel *= ud;
  }
  RECUR_CHECK(e.begin <= e.end, "{}: {} has begin after end", tensor, offsets);
  RECUR_CHECK(e.end <= data_size, "{}: {} run past the end of the data ({} bytes)", tensor, offsets,
              data_size);
  const uint64_t size = dtype_size(e.dtype);
  const uint64_t have = e.end - e.begin;
  RECUR_CHECK(numel <= have / size && numel * size == have,
              "{}: {} hold {} bytes, but shape {} of {} needs {} elements of {} bytes", tensor,
              offsets, have, shape_str(e.shape), dtype_name(e.dtype), numel, size);
}

// The safetensors spec requires the tensors to tile the data buffer exactly: sorted by
// offset, each begins where the previous ended, the first at 0, the last at the end.
// Sorts `entries` into data order.
void check_layout(std::vector<Entry>& entries, uint64_t data_size, const std::string& what) {
  std::stable_sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  uint64_t pos = 0;
  for (size_t i = 0; i < entries.size(); ++i) {
    const Entry& e = entries[i];
    if (e.begin < pos) {
      const Entry& p = entries[i - 1];
      RECUR_FAIL("{}: tensors {} and {} overlap (data_offsets [{}, {}] and [{}, {}])", what,
                 json::display(p.name), json::display(e.name), p.begin, p.end, e.begin, e.end);
    }
    RECUR_CHECK(e.begin == pos,
                "{}: gap of {} unused bytes in the data before tensor {} (bytes {} to {})", what,
                e.begin - pos, json::display(e.name), pos, e.begin);
    pos = e.end;
  }
  RECUR_CHECK(pos == data_size,
              "{}: {} unused bytes at the end of the data (tensors cover {} of {})", what,
              data_size - pos, pos, data_size);
}

// The JSON header (padded with spaces to a multiple of 8) for `file`, whose tensors are
// laid out in the order of file.tensors. Checks everything the reader would reject.
std::string make_header(const TensorFile& file, const std::string& what) {
  std::string h = "{";
  auto member = [&h](const std::string& key) {
    if (h.size() > 1) h += ",";
    h += json::quote(key);
    h += ":";
  };
  if (!file.metadata.empty()) {
    member(kMetadataKey);
    h += "{";
    bool first = true;
    for (const auto& [key, value] : file.metadata) {
      RECUR_CHECK(json::is_valid_utf8(key) && json::is_valid_utf8(value),
                  "{}: metadata key {} or its value is not valid UTF-8", what, json::display(key));
      if (!first) h += ",";
      first = false;
      h += json::quote(key) + ":" + json::quote(value);
    }
    h += "}";
  }
  std::set<std::string> names;
  uint64_t offset = 0;
  for (const auto& [name, t] : file.tensors) {
    RECUR_CHECK(json::is_valid_utf8(name), "{}: tensor name {} is not valid UTF-8", what,
                json::display(name));
    RECUR_CHECK(name != kMetadataKey, "{}: '{}' is reserved and cannot name a tensor", what,
                kMetadataKey);
    RECUR_CHECK(names.insert(name).second, "{}: duplicate tensor name {}", what,
                json::display(name));
    RECUR_CHECK(t.defined(), "{}: tensor {} is undefined", what, json::display(name));
    RECUR_CHECK(t.device() == Device::CPU,
                "{}: tensor {} is on a CUDA device; copy it to the host before writing", what,
                json::display(name));
    const uint64_t end = offset + t.nbytes();
    member(name);
    h += fmt::format(R"({{"dtype":"{}","shape":[{}],"data_offsets":[{},{}]}})",
                     dtype_name(t.dtype()), fmt::join(t.shape(), ","), offset, end);
    offset = end;
  }
  h += "}";
  h.append((8 - h.size() % 8) % 8, ' ');
  return h;
}

// The 8-byte little-endian header length of a file of `size` bytes whose first bytes are
// `bytes` (at least 8 of them when size >= 8), checked against the limit and the file size.
uint64_t header_length(const uint8_t* bytes, uint64_t size, const std::string& what) {
  RECUR_CHECK(size >= 8,
              "{}: file is shorter than the 8-byte header length ({} bytes); not a safetensors "
              "file",
              what, size);
  uint64_t header_len = 0;
  for (int i = 0; i < 8; ++i) header_len |= static_cast<uint64_t>(bytes[i]) << (8 * i);
  RECUR_CHECK(header_len <= kMaxHeaderBytes,
              "{}: header length {} is absurdly large (limit {} bytes); not a safetensors file",
              what, header_len, kMaxHeaderBytes);
  RECUR_CHECK(header_len <= size - 8,
              "{}: header length {} runs past the end of the file ({} bytes)", what, header_len,
              size);
  return header_len;
}

struct Header {
  std::map<std::string, std::string> metadata;
  std::vector<Entry> entries;  // in data order, each checked against its shape and the data
};

// The JSON header of a file whose data section holds `data_size` bytes: everything checked
// before a tensor's bytes are touched.
Header parse_header(std::string_view header, uint64_t data_size, const std::string& what) {
  // Syntax first, in full, so that every malformed header gets a JSON error.
  const std::string context = fmt::format("{}: malformed JSON header", what);
  json::validate_json(header, context);
  json::Reader r(header, context);
  const json::Type top = r.peek();
  RECUR_CHECK(top == json::Type::Object, "{}: header is not a JSON object (got {})", what,
              json::type_name(top));

  Header h;
  std::string name;
  r.begin_object();
  while (r.next_key(&name)) {
    if (name == kMetadataKey)
      read_metadata(r, what, &h.metadata);
    else
      h.entries.push_back(read_entry(r, what, name));
  }
  r.finish();

  for (const Entry& e : h.entries) check_extent(e, data_size, what);
  check_layout(h.entries, data_size, what);
  return h;
}

void put_u64_le(uint8_t* out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out[i] = static_cast<uint8_t>(v >> (8 * i));
}

}  // namespace

const Tensor* TensorFile::find(const std::string& name) const {
  for (const auto& [n, t] : tensors)
    if (n == name) return &t;
  return nullptr;
}

void TensorFile::add(const std::string& name, Tensor tensor) {
  RECUR_CHECK(find(name) == nullptr, "duplicate tensor name {}", json::display(name));
  RECUR_CHECK(name != kMetadataKey, "'{}' is reserved and cannot name a tensor", kMetadataKey);
  RECUR_CHECK(tensor.defined(), "tensor {} is undefined", json::display(name));
  tensors.emplace_back(name, std::move(tensor));
}

TensorFile parse_safetensors(const uint8_t* bytes, size_t size, const std::string& what) {
  const uint64_t header_len = header_length(bytes, size, what);
  const std::string_view header(reinterpret_cast<const char*>(bytes + 8), header_len);
  const uint8_t* data = bytes + 8 + header_len;
  Header h = parse_header(header, size - 8 - header_len, what);
  TensorFile file;
  file.metadata = std::move(h.metadata);
  file.tensors.reserve(h.entries.size());
  for (Entry& e : h.entries) {
    Tensor t = Tensor::empty(e.shape, e.dtype);
    std::memcpy(t.raw(), data + e.begin, t.nbytes());
    file.tensors.emplace_back(std::move(e.name), std::move(t));
  }
  return file;
}

TensorFile read_safetensors(const std::string& path) {
  // A regular file of known size, read piece by piece where the header says: the memory used is
  // the tensors' own, checked against what the machine has before any of it is allocated.
  const InputFile in(path);
  uint8_t len[8] = {};
  if (in.size() >= 8) in.read_at(len, 8, 0);
  const uint64_t header_len = header_length(len, in.size(), path);
  std::string header(header_len, '\0');
  in.read_at(header.data(), header_len, 8);
  const uint64_t data_start = 8 + header_len;
  Header h = parse_header(header, in.size() - data_start, path);
  const Entry* largest = nullptr;
  for (const Entry& e : h.entries)
    if (largest == nullptr || e.end - e.begin > largest->end - largest->begin) largest = &e;
  if (largest != nullptr)
    check_memory(in.size() - data_start,
                 fmt::format("'{}': tensor {} ({} bytes) and the others", path,
                             json::display(largest->name), largest->end - largest->begin));
  TensorFile file;
  file.metadata = std::move(h.metadata);
  file.tensors.reserve(h.entries.size());
  for (Entry& e : h.entries) {
    Tensor t = Tensor::empty(e.shape, e.dtype);
    in.read_at(t.raw(), t.nbytes(), data_start + e.begin);
    file.tensors.emplace_back(std::move(e.name), std::move(t));
  }
  return file;
}

std::vector<uint8_t> serialize_safetensors(const TensorFile& file) {
  const std::string header = make_header(file, "serialize_safetensors");
  size_t total = 8 + header.size();
  for (const auto& entry : file.tensors) total += entry.second.nbytes();
  std::vector<uint8_t> out(total);
  put_u64_le(out.data(), header.size());
  std::memcpy(out.data() + 8, header.data(), header.size());
  size_t pos = 8 + header.size();
  for (const auto& [name, t] : file.tensors) {
    if (t.nbytes() > 0) std::memcpy(out.data() + pos, t.raw(), t.nbytes());
    pos += t.nbytes();
  }
  return out;
}

void write_safetensors(const std::string& path, const TensorFile& file) {
  // Streams the tensors into the file rather than building the image in memory.
  const std::string header = make_header(file, path);
  uint8_t len[8];
  put_u64_le(len, header.size());
  detail::AtomicFile out(path);
  out.write(len, sizeof(len));
  out.write(header.data(), header.size());
  for (const auto& entry : file.tensors) out.write(entry.second.raw(), entry.second.nbytes());
  out.commit();
}

void write_file_atomic(const std::string& path, const void* data, size_t size) {
  detail::AtomicFile out(path);
  out.write(data, size);
  out.commit();
}

}  // namespace recur
