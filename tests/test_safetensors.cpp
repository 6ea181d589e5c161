// safetensors reading and writing: round trips of every dtype and odd shape, a file built
// byte by byte, a table of malformed headers that must each fail with a specific message,
// atomic writes, and a seeded mutation loop that must never get anything but recur::Error.
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>

#include <gtest/gtest.h>

#include "recur/safetensors.h"
#include "support/random_inputs.h"

namespace recur {
namespace {

namespace fs = std::filesystem;
using Bytes = std::vector<uint8_t>;

Bytes le_u64(uint64_t v) {
  Bytes b(8);
  for (int i = 0; i < 8; ++i) b[i] = static_cast<uint8_t>(v >> (8 * i));
  return b;
}

// A file image: the header length, the header text as given, then `data`.
Bytes image(const std::string& header, const Bytes& data = {}) {
  Bytes b = le_u64(header.size());
  b.reserve(8 + header.size() +
            data.size());  // (appending without it trips GCC 12's -Warray-bounds)
  b.insert(b.end(), header.begin(), header.end());
  b.insert(b.end(), data.begin(), data.end());
  return b;
}

// Fresh random values of any dtype (F16/BF16 rounded from F32 draws).
Tensor random_of(const Shape& shape, DType dtype, Rng& rng) {
  const DType draw = dtype == DType::F64 ? DType::F64 : DType::F32;
  return test::random_tensor(shape, draw, rng, -4.0, 4.0).to(dtype);
}

// Same names, order, dtypes, shapes and bytes.
void expect_identical(const TensorFile& got, const TensorFile& want) {
  EXPECT_EQ(got.metadata, want.metadata);
  ASSERT_EQ(got.tensors.size(), want.tensors.size());
  for (size_t i = 0; i < want.tensors.size(); ++i) {
    const auto& [gname, g] = got.tensors[i];
    const auto& [wname, w] = want.tensors[i];
    EXPECT_EQ(gname, wname);
    EXPECT_EQ(g.dtype(), w.dtype()) << wname;
    EXPECT_EQ(g.shape(), w.shape()) << wname;
    ASSERT_EQ(g.nbytes(), w.nbytes()) << wname;
    EXPECT_EQ(std::memcmp(g.raw(), w.raw(), w.nbytes()), 0) << wname << ": bytes differ";
  }
}

// A directory of its own for one test, removed afterwards.
class ScratchDir {
 public:
  ScratchDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = fs::temp_directory_path() /
            fmt::format("recur_{}_{}_{}", info->test_suite_name(), info->name(), ::getpid());
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~ScratchDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  std::vector<std::string> entries() const {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(path_)) names.push_back(e.path().filename());
    std::sort(names.begin(), names.end());
    return names;
  }

 private:
  fs::path path_;
};

Bytes read_raw(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), {});
}

TensorFile sample_file(uint64_t seed) {
  Rng rng(seed);
  TensorFile f;
  f.metadata = {{"plain", "value"},
                {"unicode", "h\xC3\xA9llo \xE2\x98\x83 \xF0\x9D\x84\x9E \xE6\x97\xA5\xE6\x9C\xAC"},
                {"escapes", std::string("quote\" backslash\\ slash/ nl\n tab\t cr\r ctl\x01 nul") +
                                std::string(1, '\0') + " end"},
                {"", "empty key"},
                {"empty value", ""}};
  const std::vector<Shape> shapes = {{2, 3}, {}, {0}, {3, 0, 2}, {1, 1, 5}, {7}};
  for (DType dtype : {DType::F32, DType::F64, DType::F16, DType::BF16})
    for (size_t i = 0; i < shapes.size(); ++i)
      f.add(fmt::format("{}.{}", dtype_name(dtype), i), random_of(shapes[i], dtype, rng));
  // Integer tensors (sequence lengths), extremes included.
  Tensor i64 = Tensor::empty({4}, DType::I64);
  const int64_t i64_values[] = {1, -7, std::numeric_limits<int64_t>::max(),
                                std::numeric_limits<int64_t>::min()};
  std::memcpy(i64.raw(), i64_values, sizeof(i64_values));
  f.add("I64.0", i64);
  Tensor i32 = Tensor::empty({3}, DType::I32);
  const int32_t i32_values[] = {5, 0, std::numeric_limits<int32_t>::min()};
  std::memcpy(i32.raw(), i32_values, sizeof(i32_values));
  f.add("I32.0", i32);
  // Values the reader must pass through untouched, bit for bit.
  Tensor special = Tensor::empty({8}, DType::F32);
  const float inf = std::numeric_limits<float>::infinity();
  const float values[] = {std::nanf(""),
                          -std::nanf("0x123"),
                          inf,
                          -inf,
                          -0.0f,
                          std::numeric_limits<float>::denorm_min(),
                          std::numeric_limits<float>::max(),
                          1.0f};
  std::memcpy(special.raw(), values, sizeof(values));
  f.add("special \xE2\x88\x9E \"quoted\"", special);
  return f;
}

TEST(Safetensors, RoundTripsEveryDTypeShapeAndMetadata) {
  ScratchDir dir;
  const TensorFile f = sample_file(1);
  const std::string path = dir.file("all.safetensors");
  write_safetensors(path, f);
  const TensorFile back = read_safetensors(path);
  expect_identical(back, f);
  // The streamed file and the in-memory image are the same bytes, and parse the same.
  const Bytes bytes = serialize_safetensors(f);
  EXPECT_EQ(read_raw(path), bytes);
  expect_identical(parse_safetensors(bytes.data(), bytes.size(), "image"), f);
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"all.safetensors"});
}

TEST(Safetensors, WriterAlignsDataAndWritesInInsertionOrder) {
  const Bytes bytes = serialize_safetensors(sample_file(2));
  uint64_t n = 0;
  for (int i = 0; i < 8; ++i) n |= uint64_t{bytes[i]} << (8 * i);
  EXPECT_EQ(n % 8, 0u);
  const std::string header(bytes.begin() + 8, bytes.begin() + 8 + static_cast<ptrdiff_t>(n));
  EXPECT_EQ(header.find_last_not_of(' '), header.rfind('}'));
  EXPECT_LT(header.find("\"F32.0\""), header.find("\"F32.1\""));
  EXPECT_LT(header.find("\"F32.5\""), header.find("\"F64.0\""));
  EXPECT_LT(header.find("\"BF16.5\""), header.find("\"special"));
}

TEST(Safetensors, ParsesAHandBuiltFile) {
  // Keys in any order, __metadata__ between tensors, escapes (\u00e9 is U+00E9 and the pair
  // \ud834\udd1e is U+1D11E), whitespace padding; data order b, a, z differs from key order.
  const std::string header =
      R"( {"b": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},)"
      R"( "__metadata__": {"k": "v\u00e9\ud834\udd1e", "e": "a\"b\\c\/d\n"},)"
      R"( "z": {"data_offsets": [10, 10], "shape": [0, 3], "dtype": "F64"},)"
      R"( "a": {"shape": [], "data_offsets": [8, 10], "dtype": "BF16"}})"
      "  \t\n  ";
  // 1.5f = 0x3FC00000, -2.0f = 0xC0000000, bf16 1.0 = 0x3F80, all little-endian.
  const Bytes data = {0x00, 0x00, 0xC0, 0x3F, 0x00, 0x00, 0x00, 0xC0, 0x80, 0x3F};
  const Bytes bytes = image(header, data);
  const TensorFile f = parse_safetensors(bytes.data(), bytes.size(), "hand.safetensors");

  EXPECT_EQ(f.metadata.size(), 2u);
  EXPECT_EQ(f.metadata.at("k"), "v\xC3\xA9\xF0\x9D\x84\x9E");
  EXPECT_EQ(f.metadata.at("e"), "a\"b\\c/d\n");
  ASSERT_EQ(f.tensors.size(), 3u);
  EXPECT_EQ(f.tensors[0].first, "b");
  EXPECT_EQ(f.tensors[1].first, "a");
  EXPECT_EQ(f.tensors[2].first, "z");
  const Tensor& b = *f.find("b");
  EXPECT_EQ(b.dtype(), DType::F32);
  EXPECT_EQ(b.shape(), (Shape{2}));
  EXPECT_EQ(b.item(0), 1.5);
  EXPECT_EQ(b.item(1), -2.0);
  const Tensor& a = *f.find("a");
  EXPECT_EQ(a.dtype(), DType::BF16);
  EXPECT_EQ(a.shape(), Shape{});
  EXPECT_EQ(a.item(0), 1.0);
  const Tensor& z = *f.find("z");
  EXPECT_EQ(z.dtype(), DType::F64);
  EXPECT_EQ(z.shape(), (Shape{0, 3}));
  EXPECT_EQ(z.numel(), 0);
  EXPECT_EQ(f.find("missing"), nullptr);
}

TEST(Safetensors, SerializesToTheExpectedBytes) {
  TensorFile f;
  f.metadata["k"] = "v";
  Tensor w = Tensor::empty({2}, DType::F32);
  w.data<float>()[0] = 1.5f;
  w.data<float>()[1] = -2.0f;
  f.add("w", w);
  Tensor h = Tensor::empty({}, DType::F16);
  static_cast<uint16_t*>(h.raw())[0] = 0x3C00;  // 1.0
  f.add("h", h);

  std::string header =
      R"({"__metadata__":{"k":"v"},"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
      R"("h":{"dtype":"F16","shape":[],"data_offsets":[8,10]}})";
  while (header.size() % 8 != 0) header += ' ';
  const Bytes want = image(header, {0x00, 0x00, 0xC0, 0x3F, 0x00, 0x00, 0x00, 0xC0, 0x00, 0x3C});
  EXPECT_EQ(serialize_safetensors(f), want);
}

TEST(Safetensors, AcceptsValidOddities) {
  struct Case {
    const char* label;
    std::string header;
    size_t data_bytes;
    size_t tensors;
  };
  const Case cases[] = {
      {"empty header object", "{}", 0, 0},
      {"whitespace everywhere", " \n{ \t} \r\n  ", 0, 0},
      {"empty metadata", R"({"__metadata__":{}})", 0, 0},
      {"zero-size tensors sharing offsets",
       R"({"a":{"dtype":"F32","shape":[0],"data_offsets":[0,0]},)"
       R"("b":{"dtype":"F16","shape":[2,0],"data_offsets":[0,0]},)"
       R"("c":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
       R"("d":{"dtype":"BF16","shape":[0],"data_offsets":[4,4]}})",
       4, 4},
      {"zero dim beside a huge dim",
       R"({"a":{"dtype":"F64","shape":[0,9223372036854775807],"data_offsets":[0,0]}})", 0, 1},
      {"name from a surrogate pair",
       R"({"\ud834\udd1e":{"dtype":"F32","shape":[],"data_offsets":[0,4]}})", 4, 1},
  };
  for (const Case& c : cases) {
    const Bytes bytes = image(c.header, Bytes(c.data_bytes, 0x41));
    try {
      const TensorFile f = parse_safetensors(bytes.data(), bytes.size(), c.label);
      EXPECT_EQ(f.tensors.size(), c.tensors) << c.label;
    } catch (const Error& e) {
      ADD_FAILURE() << c.label << ": " << e.what();
    }
  }
  const Bytes bytes = image(cases[5].header, Bytes(4, 0));
  EXPECT_NE(parse_safetensors(bytes.data(), bytes.size(), "x").find("\xF0\x9D\x84\x9E"), nullptr);
}

TEST(Safetensors, WriteIntoAMissingDirectoryFailsAndLeavesNothing) {
  ScratchDir dir;
  const std::string path = dir.file("no_such_dir") + "/w.safetensors";
  try {
    write_safetensors(path, sample_file(3));
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
  }
  EXPECT_TRUE(dir.entries().empty());
}

TEST(Safetensors, OverwriteReplacesTheWholeFile) {
  ScratchDir dir;
  const std::string path = dir.file("w.safetensors");
  write_file_atomic(path, Bytes(100000, 0xAB).data(), 100000);
  EXPECT_EQ(fs::file_size(path), 100000u);
  TensorFile small;
  small.add("x", Tensor::full({3}, 2.0));
  write_safetensors(path, small);
  EXPECT_EQ(read_raw(path), serialize_safetensors(small));
  expect_identical(read_safetensors(path), small);
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"w.safetensors"});
}

TEST(Safetensors, OverwriteKeepsThePermissionsOfTheReplacedFile) {
  ScratchDir dir;
  const std::string path = dir.file("private.safetensors");
  const Bytes data(16, 7);
  write_file_atomic(path, data.data(), data.size());
  const auto kPrivate = fs::perms::owner_read | fs::perms::owner_write;
  fs::permissions(path, kPrivate);
  write_file_atomic(path, data.data(), data.size());
  EXPECT_EQ(fs::status(path).permissions() & fs::perms::all, kPrivate);
  const auto kShared = kPrivate | fs::perms::group_read | fs::perms::others_read;
  fs::permissions(path, kShared);
  write_file_atomic(path, data.data(), data.size());
  EXPECT_EQ(fs::status(path).permissions() & fs::perms::all, kShared);
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"private.safetensors"});
}

TEST(Safetensors, FailedRenameRemovesTheTemporaryFile) {
  // The temporary file is created and written; renaming it over a directory fails.
  ScratchDir dir;
  fs::create_directory(dir.file("target"));
  const Bytes data(64, 1);
  EXPECT_THROW(write_file_atomic(dir.file("target"), data.data(), data.size()), Error);
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"target"});
  EXPECT_TRUE(fs::is_directory(dir.file("target")));
}

TEST(Safetensors, WriterRefusesWhatTheReaderWouldReject) {
  ScratchDir dir;
  const std::string path = dir.file("w.safetensors");
  auto expect_refused = [&](const TensorFile& f, const std::string& message) {
    try {
      write_safetensors(path, f);
      ADD_FAILURE() << "no error, expected: " << message;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(message), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
    }
    EXPECT_THROW(serialize_safetensors(f), Error);
  };
  TensorFile device;
  device.add("g", Tensor::from_storage({2}, DType::F32, Device::CUDA,
                                       std::shared_ptr<void>(new float[2], [](void* p) {
                                         delete[] static_cast<float*>(p);
                                       })));
  expect_refused(device, "tensor 'g' is on a CUDA device");
  TensorFile dup;
  dup.tensors = {{"a", Tensor::zeros({1})}, {"a", Tensor::zeros({1})}};
  expect_refused(dup, "duplicate tensor name 'a'");
  TensorFile reserved;
  reserved.tensors = {{"__metadata__", Tensor::zeros({1})}};
  expect_refused(reserved, "reserved");
  TensorFile bad_name;
  bad_name.tensors = {{"x\xFF", Tensor::zeros({1})}};
  expect_refused(bad_name, "not valid UTF-8");
  TensorFile bad_meta;
  bad_meta.metadata["k"] = "\xC0\xAF";
  expect_refused(bad_meta, "not valid UTF-8");
  TensorFile undefined;
  undefined.tensors = {{"u", Tensor()}};
  expect_refused(undefined, "tensor 'u' is undefined");
  EXPECT_TRUE(dir.entries().empty());

  TensorFile f;
  f.add("a", Tensor::zeros({1}));
  EXPECT_THROW(f.add("a", Tensor::zeros({1})), Error);
  EXPECT_THROW(f.add("__metadata__", Tensor::zeros({1})), Error);
  EXPECT_THROW(f.add("b", Tensor()), Error);
}

TEST(Safetensors, ReadErrorsNameThePath) {
  ScratchDir dir;
  auto expect_error = [](const std::string& path, const std::string& message) {
    try {
      read_safetensors(path);
      ADD_FAILURE() << "no error reading " << path;
    } catch (const Error& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find(path), std::string::npos) << what;
      EXPECT_NE(what.find(message), std::string::npos) << what;
    }
  };
  expect_error(dir.file("absent.safetensors"), "cannot open");
  fs::create_directory(dir.file("sub"));
  expect_error(dir.file("sub"), "is a directory, not a regular file");
  const std::string junk = "{\"a\": 1}";
  write_file_atomic(dir.file("junk"), junk.data(), junk.size());
  expect_error(dir.file("junk"), "header length");
}

// Flips, overwrites, inserts, deletes and truncates bytes of a valid file, mostly in the
// header and sometimes with the length field kept consistent so that the JSON and layout
// checks are reached. Whatever comes out, the parser may only succeed or throw recur::Error.
TEST(Safetensors, MutatedFilesFailCleanly) {
  TensorFile f;
  f.metadata = {{"mode", "LSTM"}, {"note", "\xE2\x98\x83 \\ \""}};
  Rng values(5);
  f.add("weight_ih_l0", random_of({4, 3}, DType::F32, values));
  f.add("bias", random_of({4}, DType::F16, values));
  f.add("empty", random_of({0, 2}, DType::F64, values));
  f.add("scalar", random_of({}, DType::BF16, values));
  const Bytes base = serialize_safetensors(f);
  const size_t header_end = 8 + static_cast<size_t>(base[0]) + 256 * base[1];
  const char structural[] = "{}[]\",:\\u-0123456789eE. \x80\xC3\xFF";

  Rng rng(2024);
  int accepted = 0, rejected = 0;
  for (int iter = 0; iter < 4000; ++iter) {
    Bytes b = base;
    const int edits = 1 + static_cast<int>(rng.below(3));
    for (int k = 0; k < edits && !b.empty(); ++k) {
      const bool in_header = rng.below(4) != 0 && b.size() > 8;
      const size_t span = in_header ? std::min(b.size(), header_end) - 8 : b.size();
      const size_t pos = (in_header ? 8 : 0) + rng.below(std::max<size_t>(span, 1));
      if (pos >= b.size()) continue;
      switch (rng.below(6)) {
        case 0:
          b[pos] ^= static_cast<uint8_t>(1u << rng.below(8));
          break;
        case 1:
          b[pos] = static_cast<uint8_t>(rng.below(256));
          break;
        case 2:
          b[pos] = static_cast<uint8_t>(structural[rng.below(sizeof(structural) - 1)]);
          break;
        case 3:
          b.resize(rng.below(b.size() + 1));
          break;
        case 4:  // delete a byte, shortening the header to match
          b.erase(b.begin() + static_cast<ptrdiff_t>(pos));
          if (in_header && b.size() >= 8) --b[0];
          break;
        case 5:  // insert a byte, lengthening the header to match
          b.insert(b.begin() + static_cast<ptrdiff_t>(pos),
                   static_cast<uint8_t>(structural[rng.below(sizeof(structural) - 1)]));
          if (in_header) ++b[0];
          break;
      }
    }
    try {
      const TensorFile got = parse_safetensors(b.data(), b.size(), "fuzz");
      ++accepted;
      const Bytes again = serialize_safetensors(got);
      expect_identical(parse_safetensors(again.data(), again.size(), "again"), got);
    } catch (const Error&) {
      ++rejected;
    } catch (const std::exception& e) {
      ADD_FAILURE() << "iteration " << iter << ": not a recur::Error: " << e.what();
    }
  }
  // Both outcomes must occur, or the mutations are not exercising the parser.
  EXPECT_GT(accepted, 50);
  EXPECT_GT(rejected, 1000);
}

}  // namespace
}  // namespace recur
