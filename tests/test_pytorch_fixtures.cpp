// recur against PyTorch. Each fixture in tests/fixtures/ (written by scripts/make_fixtures.py)
// is a `recur run` job, <name>.weights/.input.safetensors in F32, with PyTorch's answer
// <name>.expected.safetensors computed in float64 from those same F32 values. So an F32 run must
// match to F32 accuracy and an F64 run to F64 accuracy. Every fixture runs through the `recur`
// binary and through the library, on cpu-ref, cpu and onednn (where it runs the fixture's
// network; otherwise skipped with onednn's reason), and on cuda and cudnn on a GPU machine. The
// packed fixtures are variable-length batches, PyTorch's PackedSequence padded back to T.
#include <algorithm>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "recur/recur.h"
#include "support/compare.h"
#include "support/subprocess.h"

namespace recur {
namespace {

const std::string kFixtureDir = std::string(RECUR_SOURCE_DIR) + "/tests/fixtures/";

// What make_fixtures.py writes; FixtureDirectory checks that this list is complete.
const std::vector<std::string> kFixtures = {
    "lstm_2l_bidir",             // LSTM, 2 layers, bidirectional, h0/c0 given, every gradient
    "gru_bf_nobias",             // GRU, batch_first, no bias, states absent (zeros)
    "rnn_tanh_3l",               // RNN_TANH, 3 layers, a dropout key that `recur run` must ignore
    "rnn_relu_bidir",            // RNN_RELU, bidirectional
    "lstm_odd",                  // LSTM, I=3 H=5 T=1 B=1
    "gru_2l_bidir_forward",      // GRU, 2 layers, bidirectional, batch_first, forward only
    "lstm_state_grads",          // LSTM, only grad_h_n/grad_c_n given: backward still runs
    "lstm_proj",                 // LSTM with proj_size 3 < H 7, h0/c0 given, every gradient
    "lstm_proj_2l_bidir",        // LSTM, proj_size 2, 2 layers, bidirectional, batch_first
    "lstm_proj_bidir_nostates",  // LSTM, proj_size 4 < H 5, bidirectional, no bias, no states
    // Variable-length batches (packed sequences, enforce_sorted=False), forward and backward:
    "lstm_packed_2l_bidir",   // unsorted lengths with a length-1 sequence, 2 layers, bi, I64
    "gru_packed_bf",          // batch_first, bidirectional, states absent, I32 lengths
    "rnn_tanh_packed_all_t",  // every length = T
    "rnn_relu_packed_short",  // bidirectional, every length below T
    "lstm_packed_forward",    // batch_first, 2 layers, forward only
};

std::string weights_path(const std::string& f) {
  return kFixtureDir + f + ".weights.safetensors";
}
std::string input_path(const std::string& f) {
  return kFixtureDir + f + ".input.safetensors";
}
std::string expected_path(const std::string& f) {
  return kFixtureDir + f + ".expected.safetensors";
}

std::vector<std::string> names_of(const TensorFile& file) {
  std::vector<std::string> names;
  for (const auto& entry : file.tensors) names.push_back(entry.first);
  std::sort(names.begin(), names.end());
  return names;
}

// Every expected tensor is present in `got` with `dtype` and close to PyTorch's; nothing else is.
void expect_matches(const TensorFile& got, const TensorFile& expected, DType dtype,
                    test::Tolerance tol, const std::string& what) {
  EXPECT_EQ(names_of(got), names_of(expected)) << what;
  for (const auto& [name, ref] : expected.tensors) {
    const Tensor* t = got.find(name);
    if (t == nullptr) continue;  // reported by the name comparison above
    EXPECT_EQ(t->dtype(), dtype) << what << ": " << name;
    EXPECT_TRUE(test::close(*t, ref, tol, what + ": " + name));
  }
}

// The library path of `recur run`, written out here independently of apps/recur.
TensorFile run_library(const std::string& backend_name, const std::string& fixture, DType dtype) {
  const TensorFile w = read_safetensors(weights_path(fixture));
  RnnSpec spec = spec_from_metadata(w.metadata, weights_path(fixture));
  spec.dropout = 0.0;  // PyTorch's answers are eval-mode ones
  const RnnParams params = params_from_file(spec, w, weights_path(fixture), dtype);
  const TensorFile x = read_safetensors(input_path(fixture));
  auto get = [&](const char* name) {
    const Tensor* t = x.find(name);
    return t ? t->to(dtype) : Tensor();
  };
  RnnInputs in;
  in.input = get("input");
  in.h0 = get("h0");
  in.c0 = get("c0");
  if (const Tensor* lengths = x.find("lengths")) in.lengths = *lengths;  // I64 or I32, as is
  RnnGradOutputs grads{get("grad_output"), get("grad_h_n"), get("grad_c_n")};
  const bool backward = grads.output.defined() || grads.h_n.defined() || grads.c_n.defined();

  const std::unique_ptr<Backend> backend = make_backend(backend_name);
  ForwardOptions options;
  options.training = backward;
  const RnnOutputs out = backend->forward(spec, params, in, options);
  TensorFile y;
  y.add("output", out.output);
  y.add("h_n", out.h_n);
  if (spec.has_cell_state()) y.add("c_n", out.c_n);
  if (backward) {
    const RnnGrads g = backend->backward(spec, params, in, out, grads);
    y.add("grad_input", g.input);
    y.add("grad_h0", g.h0);
    if (spec.has_cell_state()) y.add("grad_c0", g.c0);
    for (size_t i = 0; i < g.params.size(); ++i) y.add("grad." + g.params.name(i), g.params[i]);
  }
  return y;
}

// Why `backend` cannot run here, or "" when it can: the GPU backends need a build with them
// and a usable GPU.
std::string unavailable(const std::string& backend) {
  const std::vector<std::string> names = backend_names();
  if (std::find(names.begin(), names.end(), backend) == names.end())
    return backend + " is not compiled into this build";
  std::string why;
  if ((backend == "cuda" || backend == "cudnn") && !gpu_available(&why))
    return "no usable GPU: " + why;
  return "";
}

// Why `backend` cannot run `fixture`'s network in `dtype` (Backend::unsupported: the onednn
// comparison backend runs LSTM and GRU in float32 only; Backend::unsupported_lengths for a
// packed fixture), or "".
std::string unsupported(const std::string& backend, const std::string& fixture, DType dtype) {
  const TensorFile w = read_safetensors(weights_path(fixture));
  RnnSpec spec = spec_from_metadata(w.metadata, weights_path(fixture));
  spec.dropout = 0.0;
  const TensorFile x = read_safetensors(input_path(fixture));
  const bool backward = x.find("grad_output") || x.find("grad_h_n") || x.find("grad_c_n");
  const std::unique_ptr<Backend> made = make_backend(backend);
  const std::string why = made->unsupported(spec, dtype, backward);
  if (!why.empty() || !x.find("lengths")) return why;
  return made->unsupported_lengths();
}

test::Tolerance tolerance(const std::string& backend, DType dtype) {
  if (dtype == DType::F64) return test::kF64;
  return backend == "cuda" || backend == "cudnn" ? test::kF32Gpu : test::kF32Cpu;
}

class PytorchFixture : public ::testing::TestWithParam<std::string> {
 protected:
  void check_cli(const std::string& backend, const std::string& dtype_flag) {
    const std::string why = unavailable(backend);
    if (!why.empty()) GTEST_SKIP() << why;
    const std::string& f = GetParam();
    const DType dtype = dtype_flag == "f64" ? DType::F64 : DType::F32;
    const std::string no = unsupported(backend, f, dtype);
    if (!no.empty()) GTEST_SKIP() << "skipped: " << no;
    const test::TempDir dir;
    const std::string y = dir.file("y.safetensors");
    const test::ProcessResult r =
        test::run_process({RECUR_CLI, "run", "--weights", weights_path(f), "--input", input_path(f),
                           "--output", y, "--backend", backend, "--dtype", dtype_flag});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.err, "");
    const TensorFile got = read_safetensors(y);
    EXPECT_EQ(got.metadata.count("backend") ? got.metadata.at("backend") : "", backend);
    expect_matches(got, read_safetensors(expected_path(f)), dtype, tolerance(backend, dtype),
                   f + " via recur run --backend " + backend);
  }

  void check_library(const std::string& backend, DType dtype) {
    const std::string why = unavailable(backend);
    if (!why.empty()) GTEST_SKIP() << why;
    const std::string& f = GetParam();
    const std::string no = unsupported(backend, f, dtype);
    if (!no.empty()) GTEST_SKIP() << "skipped: " << no;
    expect_matches(run_library(backend, f, dtype), read_safetensors(expected_path(f)), dtype,
                   tolerance(backend, dtype), f + " via the library on " + backend);
  }
};

TEST_P(PytorchFixture, CliCpuRefF32) {
  check_cli("cpu-ref", "f32");
}
TEST_P(PytorchFixture, CliCpuRefF64) {
  check_cli("cpu-ref", "f64");
}
TEST_P(PytorchFixture, CliCpuF32) {
  check_cli("cpu", "f32");
}
TEST_P(PytorchFixture, LibraryCpuRefF32) {
  check_library("cpu-ref", DType::F32);
}
TEST_P(PytorchFixture, LibraryCpuRefF64) {
  check_library("cpu-ref", DType::F64);
}
TEST_P(PytorchFixture, LibraryCpuF32) {
  check_library("cpu", DType::F32);
}
TEST_P(PytorchFixture, LibraryCpuF64) {
  check_library("cpu", DType::F64);
}
// Where recur was built with oneDNN; fixtures of cells it does not run are skipped.
TEST_P(PytorchFixture, CliOnednnF32) {
  check_cli("onednn", "f32");
}
TEST_P(PytorchFixture, LibraryOnednnF32) {
  check_library("onednn", DType::F32);
}
// On a GPU machine (scripts/gpu-check.sh runs the whole suite there); skipped elsewhere.
TEST_P(PytorchFixture, CliCudaF32) {
  check_cli("cuda", "f32");
}
TEST_P(PytorchFixture, LibraryCudaF32) {
  check_library("cuda", DType::F32);
}
TEST_P(PytorchFixture, LibraryCudaF64) {
  check_library("cuda", DType::F64);
}
TEST_P(PytorchFixture, CliCudnnF32) {
  check_cli("cudnn", "f32");
}
TEST_P(PytorchFixture, LibraryCudnnF32) {
  check_library("cudnn", DType::F32);
}

std::string fixture_name(const ::testing::TestParamInfo<std::string>& p) {
  return p.param;
}

INSTANTIATE_TEST_SUITE_P(All, PytorchFixture, ::testing::ValuesIn(kFixtures), fixture_name);

// The directory holds exactly the fixtures listed above, each with its three files, so a fixture
// added to make_fixtures.py cannot go untested.
TEST(FixtureDirectory, HoldsExactlyTheListedFixtures) {
  std::vector<std::string> found;
  const std::string suffix = ".expected.safetensors";
  for (const auto& entry : std::filesystem::directory_iterator(kFixtureDir)) {
    const std::string name = entry.path().filename().string();
    if (name.size() > suffix.size() &&
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0)
      found.push_back(name.substr(0, name.size() - suffix.size()));
  }
  std::sort(found.begin(), found.end());
  std::vector<std::string> listed = kFixtures;
  std::sort(listed.begin(), listed.end());
  EXPECT_EQ(found, listed);
  for (const std::string& f : kFixtures) {
    EXPECT_TRUE(std::filesystem::is_regular_file(weights_path(f))) << f;
    EXPECT_TRUE(std::filesystem::is_regular_file(input_path(f))) << f;
  }
}

}  // namespace
}  // namespace recur
