// The weights-file contract of DESIGN.md: the spec in __metadata__, the parameters under their
// PyTorch names. Round trips for every cell and option, and one test per kind of bad input.
#include <gtest/gtest.h>

#include "recur/model_io.h"
#include "support/compare.h"
#include "support/error_of.h"

namespace recur {
namespace {

using Metadata = std::map<std::string, std::string>;

std::vector<RnnSpec> all_specs() {
  std::vector<RnnSpec> specs;
  for (Cell cell : all_cells())
    for (int64_t layers : {1, 3})
      for (int flags = 0; flags < 8; ++flags) {
        RnnSpec s;
        s.cell = cell;
        s.input_size = 5;
        s.hidden_size = 7;
        s.num_layers = layers;
        s.bidirectional = flags & 1;
        s.bias = flags & 2;
        s.batch_first = flags & 4;
        s.dropout = layers == 3 && (flags & 1) ? 0.1 : 0.0;
        specs.push_back(s);
      }
  // LSTM projections (proj_size 3 < H 7), after the others.
  for (int64_t layers : {1, 2})
    for (bool bidirectional : {false, true}) {
      RnnSpec s;
      s.input_size = 5;
      s.hidden_size = 7;
      s.num_layers = layers;
      s.bidirectional = bidirectional;
      s.proj_size = 3;
      specs.push_back(s);
    }
  return specs;
}

using test::error_of;

#define EXPECT_ERROR_HAS(expr, ...)                                                  \
  do {                                                                               \
    const std::string message_ = error_of([&] { (void)(expr); });                    \
    EXPECT_FALSE(message_.empty()) << #expr << " did not throw";                     \
    for (const std::string& part_ : std::initializer_list<std::string>{__VA_ARGS__}) \
      EXPECT_NE(message_.find(part_), std::string::npos)                             \
          << "'" << part_ << "' not in: " << message_;                               \
  } while (0)

TEST(ModelIo, SpecRoundTripsThroughMetadata) {
  for (const RnnSpec& spec : all_specs()) {
    const Metadata m = spec_to_metadata(spec);
    EXPECT_EQ(spec_from_metadata(m, "m"), spec) << m.at("mode") << " " << m.at("num_layers");
  }
  RnnSpec odd;
  odd.input_size = 1;
  odd.hidden_size = 1;
  for (double p : {1.0, 0.3333333333333333, 1e-300, 0.1 + 0.2}) {
    odd.dropout = p;
    EXPECT_EQ(spec_from_metadata(spec_to_metadata(odd), "m").dropout, p);
  }
}

TEST(ModelIo, MetadataSpellsTheContract) {
  RnnSpec spec;
  spec.cell = Cell::GRU;
  spec.input_size = 3;
  spec.hidden_size = 16;
  spec.num_layers = 2;
  spec.bidirectional = true;
  spec.bias = false;
  spec.batch_first = false;
  const Metadata want = {{"mode", "GRU"},         {"input_size", "3"},       {"hidden_size", "16"},
                         {"num_layers", "2"},     {"bidirectional", "true"}, {"bias", "false"},
                         {"batch_first", "false"}};
  EXPECT_EQ(spec_to_metadata(spec), want);
  spec.dropout = 0.25;
  EXPECT_EQ(spec_to_metadata(spec).at("dropout"), "0.25");
}

TEST(ModelIo, ReadsPythonStyleBooleansAndIgnoresOtherKeys) {
  Metadata m = {{"mode", "LSTM"},         {"input_size", "4"},       {"hidden_size", "8"},
                {"num_layers", "1"},      {"bidirectional", "True"}, {"bias", "1"},
                {"batch_first", "False"}, {"format", "pt"},          {"dropout", "0"}};
  const RnnSpec s = spec_from_metadata(m, "m");
  EXPECT_TRUE(s.bidirectional);
  EXPECT_TRUE(s.bias);
  EXPECT_FALSE(s.batch_first);
  EXPECT_EQ(s.dropout, 0.0);
  m["bias"] = "0";
  EXPECT_FALSE(spec_from_metadata(m, "m").bias);
}

TEST(ModelIo, BadMetadataNamesTheKeyAndValue) {
  const Metadata good = spec_to_metadata(all_specs()[5]);
  for (const auto& [key, value] : good) {
    Metadata m = good;
    m.erase(key);
    EXPECT_ERROR_HAS(spec_from_metadata(m, "w.safetensors"), "w.safetensors", key, "missing");
  }
  struct Case {
    const char* key;
    const char* value;
    const char* expect;
  };
  const Case cases[] = {
      {"mode", "LSTMX", "unknown mode 'LSTMX'"},
      {"mode", "lstm", "unknown mode 'lstm'"},
      {"mode", "LSTM\nX", R"(unknown mode "LSTM\nX")"},  // one line, whatever the value
      {"input_size", "", "must be a positive integer, got ''"},
      {"input_size", "12a", "must be a positive integer, got '12a'"},
      {"input_size", " 12", "must be a positive integer, got ' 12'"},
      {"hidden_size", "-3", "must be a positive integer, got '-3'"},
      {"hidden_size", "0", "must be a positive integer, got '0'"},
      {"hidden_size", "1.5", "must be a positive integer, got '1.5'"},
      {"hidden_size", "99999999999999999999", "is too large: '99999999999999999999'"},
      {"hidden_size", "9223372036854775808", "is too large"},
      {"hidden_size", "100000000", "100000000"},  // beyond the engine's range
      {"num_layers", "5000", "5000"},
      {"bidirectional", "yes", "must be true or false, got 'yes'"},
      {"bias", "TRUE", "must be true or false, got 'TRUE'"},
      {"batch_first", "", "must be true or false, got ''"},
      {"dropout", "1.5", "must be a number in [0, 1], got '1.5'"},
      {"dropout", "-0.1", "got '-0.1'"},
      {"dropout", "nan", "got 'nan'"},
      {"dropout", "inf", "got 'inf'"},
      {"dropout", "0.5x", "got '0.5x'"},
      {"dropout", "", "got ''"},
  };
  for (const Case& c : cases) {
    Metadata m = good;
    m[c.key] = c.value;
    EXPECT_ERROR_HAS(spec_from_metadata(m, "w.safetensors"), "w.safetensors", c.key, c.expect);
    EXPECT_EQ(error_of([&] { spec_from_metadata(m, "w"); }).find('\n'), std::string::npos);
  }
}

// proj_size: optional (absent or "0": none), written only when set; a value that is not a
// non-negative integer, a projection for another cell than LSTM or one not smaller than
// hidden_size is an error naming the key.
TEST(ModelIo, ProjSizeKey) {
  RnnSpec lstm;
  lstm.input_size = 3;
  lstm.hidden_size = 6;
  Metadata m = spec_to_metadata(lstm);
  EXPECT_EQ(m.count("proj_size"), 0u);
  EXPECT_EQ(spec_from_metadata(m, "w").proj_size, 0);
  m["proj_size"] = "0";
  EXPECT_EQ(spec_from_metadata(m, "w").proj_size, 0);
  m["proj_size"] = "4";
  const RnnSpec projected = spec_from_metadata(m, "w");
  EXPECT_EQ(projected.proj_size, 4);
  EXPECT_EQ(spec_to_metadata(projected).at("proj_size"), "4");
  const RnnParams params(projected, DType::F32);
  ASSERT_EQ(params.size(), 5u);
  EXPECT_EQ(params.name(4), "weight_hr_l0");
  EXPECT_EQ(params[4].shape(), (Shape{4, 6}));
  EXPECT_EQ(params[1].shape(), (Shape{24, 4}));  // weight_hh [4H, P]

  for (const char* bad : {"-1", "x", "", "2.5", " 3"})
    EXPECT_ERROR_HAS(
        [&] {
          Metadata b = m;
          b["proj_size"] = bad;
          return spec_from_metadata(b, "w.st");
        }(),
        "w.st", "metadata 'proj_size' must be a non-negative integer");
  m["proj_size"] = "6";
  EXPECT_ERROR_HAS(spec_from_metadata(m, "w.st"), "w.st", "proj_size must be smaller than",
                   "hidden_size");
  m["proj_size"] = "2";
  for (const char* mode : {"GRU", "RNN_TANH", "RNN_RELU"}) {
    m["mode"] = mode;
    EXPECT_ERROR_HAS(spec_from_metadata(m, "w.st"), "w.st",
                     std::string("proj_size is only supported for LSTM, not ") + mode);
  }
}

// add_params -> bytes -> parse -> params_from_file gives back the same values, for every
// spec; the file holds exactly the PyTorch names.
TEST(ModelIo, ParamsRoundTripThroughAFile) {
  uint64_t seed = 1;
  for (const RnnSpec& spec : all_specs()) {
    const RnnParams params = RnnParams::init_uniform(spec, seed++);
    TensorFile f;
    f.metadata = spec_to_metadata(spec);
    add_params(f, params);
    EXPECT_EQ(f.tensors.size(), params.size());
    const std::vector<uint8_t> bytes = serialize_safetensors(f);
    const TensorFile back = parse_safetensors(bytes.data(), bytes.size(), "w");
    const RnnSpec read_spec = spec_from_metadata(back.metadata, "w");
    ASSERT_EQ(read_spec, spec);
    const RnnParams got = params_from_file(read_spec, back, "w");
    ASSERT_EQ(got.size(), params.size());
    for (size_t i = 0; i < params.size(); ++i) {
      EXPECT_EQ(got.name(i), params.name(i));
      EXPECT_TRUE(test::close(got[i], params[i], {0.0, 0.0}, got.name(i)));
    }
  }
}

TEST(ModelIo, ConvertsFileDTypesAndCopies) {
  RnnSpec spec;
  spec.cell = Cell::LSTM;
  spec.input_size = 3;
  spec.hidden_size = 4;
  spec.num_layers = 2;
  const RnnParams p64 = RnnParams::init_uniform(spec, 9, DType::F64);
  for (DType stored : {DType::F16, DType::BF16, DType::F32, DType::F64}) {
    TensorFile f;
    for (size_t i = 0; i < p64.size(); ++i) f.add(p64.name(i), p64[i].to(stored));
    for (DType want : {DType::F32, DType::F64}) {
      const RnnParams got = params_from_file(spec, f, "w", want);
      EXPECT_EQ(got.dtype(), want);
      for (size_t i = 0; i < got.size(); ++i) {
        // Through the stored dtype, then converted: exactly what the file held.
        const Tensor ref = p64[i].to(stored).to(want);
        EXPECT_TRUE(test::close(got[i], ref, {0.0, 0.0}, got.name(i)));
        EXPECT_NE(got[i].raw(), f.tensors[i].second.raw()) << "shares storage with the file";
      }
    }
  }
  TensorFile f;
  add_params(f, p64);
  EXPECT_ERROR_HAS(params_from_file(spec, f, "w", DType::F16), "F16");
}

TEST(ModelIo, PrefixedParamsBesideOtherTensors) {
  RnnSpec spec;
  spec.cell = Cell::GRU;
  spec.input_size = 2;
  spec.hidden_size = 3;
  const RnnParams params = RnnParams::init_uniform(spec, 4);
  TensorFile f;
  add_params(f, params, "rnn.");
  f.add("head.weight", Tensor::full({1, 3}, 0.5));
  f.add("weight_ih_l7", Tensor::full({1}, 0.5));  // not under the prefix: just another tensor
  EXPECT_EQ(f.tensors[0].first, "rnn.weight_ih_l0");
  const RnnParams got = params_from_file(spec, f, "ckpt", DType::F32, true, "rnn.");
  for (size_t i = 0; i < params.size(); ++i)
    EXPECT_TRUE(test::close(got[i], params[i], {0.0, 0.0}, got.name(i)));
  EXPECT_ERROR_HAS(params_from_file(spec, f, "ckpt", DType::F32, false, "rnn."), "ckpt",
                   "unexpected tensor 'head.weight'");
  EXPECT_ERROR_HAS(params_from_file(spec, f, "ckpt", DType::F32, true), "ckpt",
                   "tensor 'weight_ih_l0' is missing", "[9, 2]");
}

TEST(ModelIo, BadParamsNameTheTensor) {
  RnnSpec spec;
  spec.cell = Cell::LSTM;
  spec.input_size = 3;
  spec.hidden_size = 4;
  spec.num_layers = 2;
  const RnnParams params = RnnParams::init_uniform(spec, 3);
  auto file_without = [&](const std::string& skip) {
    TensorFile f;
    for (size_t i = 0; i < params.size(); ++i)
      if (params.name(i) != skip) f.add(params.name(i), params[i]);
    return f;
  };

  EXPECT_ERROR_HAS(params_from_file(spec, file_without("weight_hh_l1"), "w.st"), "w.st",
                   "tensor 'weight_hh_l1' is missing", "[16, 4]");
  TensorFile wrong = file_without("bias_ih_l1");
  wrong.add("bias_ih_l1", Tensor::zeros({15}));
  EXPECT_ERROR_HAS(params_from_file(spec, wrong, "w.st"), "w.st", "tensor 'bias_ih_l1'",
                   "expected shape [16], got [15]");
  TensorFile transposed = file_without("weight_ih_l0");
  transposed.add("weight_ih_l0", Tensor::zeros({3, 16}));
  EXPECT_ERROR_HAS(params_from_file(spec, transposed, "w.st"), "weight_ih_l0",
                   "expected shape [16, 3], got [3, 16]");

  // RNN-looking tensors the spec does not have are errors even when extras are allowed.
  for (const char* extra : {"weight_ih_l2", "bias_hh_l5", "weight_ih_l0_reverse",
                            "bias_hh_l1_reverse", "weight_hr_l0"}) {
    TensorFile f = file_without("");
    f.add(extra, Tensor::zeros({16, 4}));
    EXPECT_ERROR_HAS(params_from_file(spec, f, "w.st", DType::F32, true), "w.st",
                     std::string("unexpected tensor '") + extra + "'",
                     "2-layer unidirectional LSTM");
  }
  RnnSpec no_bias = spec;
  no_bias.bias = false;
  EXPECT_ERROR_HAS(params_from_file(no_bias, file_without(""), "w.st", DType::F32, true),
                   "unexpected tensor 'bias_ih_l0'", "without bias");

  // Other names: an error unless allowed.
  TensorFile f = file_without("");
  f.add("weight_ih_lx", Tensor::zeros({1}));
  EXPECT_ERROR_HAS(params_from_file(spec, f, "w.st"), "unexpected tensor 'weight_ih_lx'");
  EXPECT_NO_THROW(params_from_file(spec, f, "w.st", DType::F32, true));

  TensorFile device = file_without("weight_hh_l0");
  device.add("weight_hh_l0", Tensor::from_storage({16, 4}, DType::F32, Device::CUDA,
                                                  std::shared_ptr<void>(new float[64], [](void* p) {
                                                    delete[] static_cast<float*>(p);
                                                  })));
  EXPECT_ERROR_HAS(params_from_file(spec, device, "w.st"), "tensor 'weight_hh_l0' is on a device");
}

}  // namespace
}  // namespace recur
