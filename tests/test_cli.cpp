// The `recur` command line, driven as a user drives it: spawn the binary, look at its exit
// status, stdout and stderr, and at the files it leaves. Every error case checks the whole
// failure contract: the right non-zero status, exactly one line on stderr naming the problem,
// nothing on stdout, no output file created, a pre-existing output file left byte for byte, and
// no temporary file left behind.
#include <algorithm>
#include <filesystem>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "recur/recur.h"
#include "support/compare.h"
#include "support/subprocess.h"

namespace recur {
namespace {

std::string source_file(const std::string& relative) {
  return std::string(RECUR_SOURCE_DIR) + "/" + relative;
}

// Replaces tensor `name` of `file` (or adds it when absent).
TensorFile with(TensorFile file, const std::string& name, Tensor t) {
  for (auto& entry : file.tensors)
    if (entry.first == name) {
      entry.second = std::move(t);
      return file;
    }
  file.add(name, std::move(t));
  return file;
}

TensorFile without(TensorFile file, const std::string& name) {
  auto& ts = file.tensors;
  const auto it =
      std::find_if(ts.begin(), ts.end(), [&](const auto& e) { return e.first == name; });
  EXPECT_NE(it, ts.end()) << name;
  if (it != ts.end()) ts.erase(it);
  return file;
}

// Every tensor of `file` converted to `dtype`.
TensorFile converted(TensorFile file, DType dtype) {
  for (auto& entry : file.tensors) entry.second = entry.second.to(dtype);
  return file;
}

class Cli : public ::testing::Test {
 protected:
  // The base job: a 2-layer bidirectional LSTM (I 4, H 6), input [T 5, B 3, 4], states
  // [L*D 4, B 3, H 6], every gradient given; and a GRU (I 5, H 7, batch_first, no bias).
  const TensorFile lstm_w =
      read_safetensors(source_file("tests/fixtures/lstm_2l_bidir.weights.safetensors"));
  const TensorFile lstm_x =
      read_safetensors(source_file("tests/fixtures/lstm_2l_bidir.input.safetensors"));
  const TensorFile gru_w =
      read_safetensors(source_file("tests/fixtures/gru_bf_nobias.weights.safetensors"));
  const TensorFile gru_x =
      read_safetensors(source_file("tests/fixtures/gru_bf_nobias.input.safetensors"));
  const test::TempDir dir;
  const std::string out = dir.file("y.safetensors");

  std::string save(const std::string& name, const TensorFile& file) const {
    const std::string path = dir.file(name);
    write_safetensors(path, file);
    return path;
  }

  static test::ProcessResult recur(std::vector<std::string> args) {
    args.insert(args.begin(), RECUR_CLI);
    return test::run_process(args);
  }

  // `recur run` on two files, into `out`, on cpu-ref (so that file errors do not depend on
  // which other backends work here).
  std::vector<std::string> run_args(const std::string& w, const std::string& x) const {
    return {"run", "--weights", w, "--input", x, "--output", out, "--backend", "cpu-ref"};
  }
  std::vector<std::string> run_args(const TensorFile& w, const TensorFile& x) const {
    return run_args(save("w.safetensors", w), save("x.safetensors", x));
  }

  std::vector<std::string> listing() const {
    std::vector<std::string> names;
    for (const auto& e : std::filesystem::directory_iterator(dir.path()))
      names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
  }

  // Runs `args` twice, without and with a file already at `out`, and checks the failure
  // contract; stderr must contain every one of `needles`.
  void expect_failure(const std::vector<std::string>& args, int exit_code,
                      const std::vector<std::string>& needles) const {
    const std::string previous = "a file that was here before";
    for (const bool pre_existing : {false, true}) {
      SCOPED_TRACE(pre_existing ? "with an existing output file" : "without an output file");
      std::filesystem::remove(out);
      if (pre_existing) test::write_text_file(out, previous);
      const std::vector<std::string> before = listing();
      const test::ProcessResult r = recur(args);
      EXPECT_EQ(r.exit_code, exit_code) << r.err;
      EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << "stderr:\n" << r.err;
      EXPECT_TRUE(!r.err.empty() && r.err.back() == '\n') << r.err;
      for (const std::string& needle : needles)
        EXPECT_NE(r.err.find(needle), std::string::npos) << "stderr lacks '" << needle << "':\n"
                                                         << r.err;
      EXPECT_EQ(r.out, "");
      EXPECT_EQ(listing(), before);
      if (pre_existing)
        EXPECT_EQ(test::read_text_file(out), previous);
      else
        EXPECT_FALSE(std::filesystem::exists(out));
    }
  }

  void expect_run_error(const std::vector<std::string>& args, std::vector<std::string> needles) {
    needles.insert(needles.begin(), "recur run: error: ");
    expect_failure(args, 1, needles);
  }
  void expect_usage_error(const std::vector<std::string>& args, std::vector<std::string> needles) {
    needles.insert(needles.begin(), "recur run: error: ");
    expect_failure(args, 2, needles);
  }

  // A successful run of `args`: status 0, nothing on stderr, one line on stdout saying what was
  // written, containing every one of `needles`; returns the output file.
  TensorFile expect_success(const std::vector<std::string>& args,
                            const std::vector<std::string>& needles = {}) const {
    const test::ProcessResult r = recur(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.err, "");
    EXPECT_EQ(r.out.rfind("recur run: wrote " + out + " (backend ", 0), 0u) << r.out;
    EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << r.out;
    for (const std::string& needle : needles)
      EXPECT_NE(r.out.find(needle), std::string::npos) << "stdout lacks '" << needle << "':\n"
                                                       << r.out;
    return read_safetensors(out);
  }
};

// ---- usage errors: status 2 ----

TEST_F(Cli, TopLevelUsageErrors) {
  expect_failure({}, 2, {"recur: missing command", "run"});
  expect_failure({"frobnicate"}, 2, {"unknown command 'frobnicate'"});
}

TEST_F(Cli, UnknownFlag) {
  auto args = run_args(lstm_w, lstm_x);
  args.insert(args.end(), {"--bogus", "1"});
  expect_usage_error(args, {"unknown flag --bogus"});
}

TEST_F(Cli, MissingRequiredFlags) {
  const std::string w = save("w.safetensors", lstm_w), x = save("x.safetensors", lstm_x);
  expect_usage_error({"run", "--input", x, "--output", out}, {"missing required flag --weights"});
  expect_usage_error({"run", "--weights", w, "--output", out}, {"missing required flag --input"});
  expect_usage_error({"run", "--weights", w, "--input", x}, {"missing required flag --output"});
}

TEST_F(Cli, MalformedFlags) {
  const std::string w = save("w.safetensors", lstm_w), x = save("x.safetensors", lstm_x);
  expect_usage_error({"run", "--weights", w, "--input", x, "--output"}, {"--output needs a value"});
  expect_usage_error({"run", "--weights", "--input", x, "--output", out},
                     {"--weights needs a value"});
  expect_usage_error({"run", "--weights", w, "--input", x, "--input", x, "--output", out},
                     {"--input given twice"});
  expect_usage_error({"run", "--weights", w, "--input", x, "--output", out, "--dtype", "f16"},
                     {"--dtype", "'f16'"});
  expect_usage_error({"run", "--weights", w, "--input", x, "--output", out, "stray"},
                     {"unexpected argument 'stray'"});
}

TEST_F(Cli, UnknownBackendListsTheAvailableOnes) {
  auto args = run_args(lstm_w, lstm_x);
  args.back() = "gpu";
  std::vector<std::string> needles = {"unknown backend 'gpu'", "auto"};
  for (const std::string& name : backend_names()) needles.push_back(name);
  expect_usage_error(args, needles);
}

// ---- file errors: status 1 ----

TEST_F(Cli, MissingFiles) {
  const std::string w = save("w.safetensors", lstm_w), x = save("x.safetensors", lstm_x);
  const std::string nowhere = dir.file("nonexistent.safetensors");
  expect_run_error(run_args(nowhere, x), {nowhere});
  expect_run_error(run_args(w, nowhere), {nowhere});
}

TEST_F(Cli, CorruptWeightsFiles) {
  const std::string x = save("x.safetensors", lstm_x);
  const std::string bytes =
      test::read_text_file(source_file("tests/fixtures/lstm_2l_bidir.weights.safetensors"));
  ASSERT_GT(bytes.size(), 1000u);
  const std::string truncated = dir.file("truncated.safetensors");
  test::write_text_file(truncated, bytes.substr(0, bytes.size() / 2));
  expect_run_error(run_args(truncated, x), {truncated});
  const std::string garbage = dir.file("garbage.safetensors");
  test::write_text_file(garbage, "this is not a safetensors file\n");
  expect_run_error(run_args(garbage, x), {garbage});
}

TEST_F(Cli, BadWeightsMetadata) {
  TensorFile w = lstm_w;
  w.metadata["mode"] = "LSTMX";
  expect_run_error(run_args(w, lstm_x), {dir.file("w.safetensors"), "mode", "LSTMX"});
  w = lstm_w;
  w.metadata.erase("hidden_size");
  expect_run_error(run_args(w, lstm_x), {dir.file("w.safetensors"), "hidden_size"});
}

// proj_size: a bad value, a projection for GRU, P >= H each get one error line naming the key;
// a projected network's h0 must be P wide (and c0 H wide).
TEST_F(Cli, BadProjSize) {
  const std::string wf = dir.file("w.safetensors");
  TensorFile w = lstm_w;  // H = 6
  for (const char* bad : {"two", "-1", ""}) {
    w.metadata["proj_size"] = bad;
    expect_run_error(run_args(w, lstm_x),
                     {wf, "metadata 'proj_size' must be a non-negative integer"});
  }
  w.metadata["proj_size"] = "6";
  expect_run_error(run_args(w, lstm_x), {wf, "proj_size must be smaller than hidden_size"});
  w.metadata["proj_size"] = "2";  // weight_hh_l0 is [24, 6], not [24, 2]; no weight_hr
  expect_run_error(run_args(w, lstm_x), {wf, "weight_hh_l0", "[24, 2]", "proj_size 2"});
  TensorFile g = gru_w;
  g.metadata["proj_size"] = "2";
  expect_run_error(run_args(g, gru_x), {wf, "proj_size is only supported for LSTM, not GRU"});

  const TensorFile pw =
      read_safetensors(source_file("tests/fixtures/lstm_proj.weights.safetensors"));
  const TensorFile px = read_safetensors(source_file("tests/fixtures/lstm_proj.input.safetensors"));
  const std::string xf = dir.file("x.safetensors");
  expect_run_error(run_args(pw, with(px, "h0", Tensor::full({1, 3, 7}, 0.1))),
                   {xf + ": tensor 'h0': expected shape [1, 3, 3] ([L*D, B, proj_size])"});
  expect_run_error(run_args(pw, with(px, "c0", Tensor::full({1, 3, 3}, 0.1))),
                   {xf + ": tensor 'c0': expected shape [1, 3, 7] ([L*D, B, H])"});
  expect_run_error(run_args(without(pw, "weight_hr_l0"), px), {wf, "weight_hr_l0", "missing"});
}

TEST_F(Cli, BadWeightsTensors) {
  const std::string w = dir.file("w.safetensors");
  expect_run_error(run_args(without(lstm_w, "bias_hh_l1"), lstm_x), {w, "bias_hh_l1"});
  expect_run_error(run_args(with(lstm_w, "weight_hh_l0", Tensor::full({24, 5}, 0.1)), lstm_x),
                   {w, "weight_hh_l0", "[24, 6]", "[24, 5]"});
  expect_run_error(run_args(with(lstm_w, "weight_ih_l2", Tensor::full({24, 12}, 0.1)), lstm_x),
                   {w, "weight_ih_l2"});
}

TEST_F(Cli, NonFiniteWeights) {
  Tensor bad = lstm_w.find("weight_ih_l0")->clone();  // [24, 4]
  bad.data<float>()[7] = std::numeric_limits<float>::quiet_NaN();
  expect_run_error(
      run_args(with(lstm_w, "weight_ih_l0", bad), lstm_x),
      {dir.file("w.safetensors") + ": tensor 'weight_ih_l0': non-finite value nan at [1, 3]"});
}

TEST_F(Cli, BadInputTensor) {
  const std::string x = dir.file("x.safetensors");
  expect_run_error(run_args(lstm_w, without(lstm_x, "input")), {x, "tensor 'input' missing"});
  expect_run_error(run_args(lstm_w, with(lstm_x, "input", Tensor::full({5, 3, 5}, 0.1))),
                   {x, "tensor 'input'", "input_size 4", "got [5, 3, 5]"});
  expect_run_error(run_args(lstm_w, with(lstm_x, "input", Tensor::full({5, 12}, 0.1))),
                   {x, "tensor 'input'", "got [5, 12]"});
}

TEST_F(Cli, WrongStateShapes) {
  const std::string x = dir.file("x.safetensors");
  expect_run_error(run_args(lstm_w, with(lstm_x, "h0", Tensor::full({4, 3}, 0.1))),
                   {x + ": tensor 'h0': expected shape [4, 3, 6] ([L*D, B, H]), got [4, 3]"});
  expect_run_error(run_args(lstm_w, with(lstm_x, "h0", Tensor::full({4, 2, 6}, 0.1))),
                   {x + ": tensor 'h0': expected shape [4, 3, 6]", "got [4, 2, 6]"});
  expect_run_error(run_args(lstm_w, with(lstm_x, "c0", Tensor::full({4, 3, 5}, 0.1))),
                   {x + ": tensor 'c0': expected shape [4, 3, 6]", "got [4, 3, 5]"});
}

TEST_F(Cli, WrongGradientShapes) {
  const std::string x = dir.file("x.safetensors");
  expect_run_error(run_args(lstm_w, with(lstm_x, "grad_output", Tensor::full({5, 3, 6}, 0.1))),
                   {x + ": tensor 'grad_output': expected shape [5, 3, 12]", "got [5, 3, 6]"});
  expect_run_error(run_args(lstm_w, with(lstm_x, "grad_c_n", Tensor::full({2, 3, 6}, 0.1))),
                   {x + ": tensor 'grad_c_n': expected shape [4, 3, 6]", "got [2, 3, 6]"});
}

TEST_F(Cli, CellStateForANetworkWithout) {
  const std::string x = dir.file("x.safetensors");
  const Tensor state = Tensor::full({1, 2, 7}, 0.1);
  expect_run_error(run_args(gru_w, with(gru_x, "c0", state)),
                   {x + ": tensor 'c0': given, but a GRU network has no cell state"});
  expect_run_error(run_args(gru_w, with(gru_x, "grad_c_n", state)),
                   {x + ": tensor 'grad_c_n': given, but a GRU network has no cell state"});
}

TEST_F(Cli, BadLengths) {
  const std::string x = dir.file("x.safetensors");  // T 5, B 3
  Tensor lengths = Tensor::empty({3}, DType::I64);
  const int64_t bad[] = {5, 0, 9};
  std::copy(bad, bad + 3, lengths.data<int64_t>());
  expect_run_error(run_args(lstm_w, with(lstm_x, "lengths", lengths)),
                   {x + ": tensor 'lengths': element [1] is 0, outside [1, 5] (1 <= length <= T)"});
  lengths.data<int64_t>()[1] = 2;
  expect_run_error(run_args(lstm_w, with(lstm_x, "lengths", lengths)),
                   {x + ": tensor 'lengths': element [2] is 9, outside [1, 5]"});
  expect_run_error(run_args(lstm_w, with(lstm_x, "lengths", Tensor::full({2}, 3.0, DType::I32))),
                   {x + ": tensor 'lengths': expected shape [3] ([B], one length per sequence), "
                        "got [2]"});
  expect_run_error(
      run_args(lstm_w, with(lstm_x, "lengths", Tensor::full({3}, 3.0))),
      {x + ": tensor 'lengths': expected dtype I64 or I32 (sequence lengths), got F32"});
  // An integer tensor where a float one is due is named too.
  expect_run_error(run_args(lstm_w, with(lstm_x, "h0", Tensor::full({4, 3, 6}, 1.0, DType::I64))),
                   {x + ": tensor 'h0': expected a floating-point dtype, got I64"});
  // Valid lengths run, in either integer dtype.
  lengths.data<int64_t>()[2] = 1;
  expect_success(run_args(lstm_w, with(lstm_x, "lengths", lengths)));
  expect_success(run_args(lstm_w, with(lstm_x, "lengths", Tensor::full({3}, 4.0, DType::I32))));
}

TEST_F(Cli, UnknownInputTensor) {
  expect_run_error(run_args(lstm_w, with(lstm_x, "h_0", Tensor::full({4, 3, 6}, 0.1))),
                   {dir.file("x.safetensors") + ": unknown tensor 'h_0'", "h0"});
}

TEST_F(Cli, NonFiniteInputs) {
  const std::string x = dir.file("x.safetensors");
  Tensor input = lstm_x.find("input")->clone();  // [5, 3, 4]
  input.data<float>()[13] = std::numeric_limits<float>::quiet_NaN();
  expect_run_error(run_args(lstm_w, with(lstm_x, "input", input)),
                   {x + ": tensor 'input': non-finite value nan at [1, 0, 1]"});
  Tensor h0 = lstm_x.find("h0")->clone();  // [4, 3, 6]
  h0.data<float>()[71] = -std::numeric_limits<float>::infinity();
  expect_run_error(run_args(lstm_w, with(lstm_x, "h0", h0)),
                   {x + ": tensor 'h0': non-finite value -inf at [3, 2, 5]"});
  Tensor huge = lstm_x.find("input")->to(DType::F64);
  huge.data<double>()[2] = 1e300;
  expect_run_error(run_args(lstm_w, with(lstm_x, "input", huge)),
                   {x + ": tensor 'input': value 1e+300 at [0, 0, 2] overflows F32"});
}

TEST_F(Cli, UnwritableOutput) {
  auto args = run_args(lstm_w, lstm_x);
  const std::string target = dir.file("no/such/dir/y.safetensors");
  args[6] = target;
  const std::vector<std::string> before = listing();
  const test::ProcessResult r = recur(args);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_NE(r.err.find(target), std::string::npos) << r.err;
  EXPECT_EQ(listing(), before);
}

TEST_F(Cli, BackendThatCannotRunHere) {
  bool cuda_compiled = false;
  for (const std::string& name : backend_names()) cuda_compiled = cuda_compiled || name == "cuda";
  if (!cuda_compiled || gpu_available())
    GTEST_SKIP() << "needs a build with the cuda backend on a machine without a usable GPU";
  auto args = run_args(lstm_w, lstm_x);
  args.back() = "cuda";
  expect_run_error(args, {"cuda"});
}

// ---- help, info, successful runs ----

TEST_F(Cli, Help) {
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{{"run", "--help"}, {"run", "--bogus", "-h"}}) {
    const test::ProcessResult r = recur(args);
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_EQ(r.err, "");
    for (const char* needle : {"usage: recur run --weights", "grad_output", "grad.<parameter name>",
                               "Dropout is never applied", "exit status"})
      EXPECT_NE(r.out.find(needle), std::string::npos) << needle;
  }
  test::ProcessResult r = recur({"info", "--help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("usage: recur info"), std::string::npos) << r.out;
  r = recur({"--help"});
  EXPECT_EQ(r.exit_code, 0);
  for (const char* needle : {"usage: recur <command>", "\n  run ", "\n  info ", "exit status"})
    EXPECT_NE(r.out.find(needle), std::string::npos) << needle;
  r = recur({"--version"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, std::string("recur ") + version() + "\n");
}

TEST_F(Cli, Info) {
  const test::ProcessResult r = recur({"info"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.err, "");
  std::string gpu;
  const bool has_gpu = gpu_available(&gpu);
  EXPECT_EQ(r.out,
            fmt::format("recur {}\nbackends: {}\ndefault backend: {}\ngpu: {}{}\ncpu: "
                        "{}\ncpu isa: {}\n",
                        version(), fmt::join(backend_names(), ", "), default_backend_name(),
                        has_gpu ? "yes, " : "no, ", gpu, cpu_model(), cpu_isa_description()));
  expect_failure({"info", "extra"}, 2, {"recur info: error: unexpected argument 'extra'"});
}

// The README's command: the example LSTM, forward only, compared with PyTorch's answer.
TEST_F(Cli, RunsTheExample) {
  const TensorFile y = expect_success(
      {"run", "--weights", source_file("examples/lstm.weights.safetensors"), "--input",
       source_file("examples/lstm.input.safetensors"), "--output", out, "--backend", "cpu-ref"},
      {"(backend cpu-ref, F32, forward): output [10, 2, 8], h_n [2, 2, 8], c_n [2, 2, 8]\n"});
  const TensorFile expected = read_safetensors(source_file("examples/lstm.expected.safetensors"));
  ASSERT_EQ(y.tensors.size(), 3u);
  for (const char* name : {"output", "h_n", "c_n"}) {
    ASSERT_NE(y.find(name), nullptr) << name;
    EXPECT_EQ(y.find(name)->dtype(), DType::F32);
    EXPECT_TRUE(test::close(*y.find(name), *expected.find(name), test::kF32Cpu, name));
  }
  const std::map<std::string, std::string> meta = {
      {"backend", "cpu-ref"}, {"recur_version", version()}, {"dtype", "F32"}, {"pass", "forward"}};
  EXPECT_EQ(y.metadata, meta);
  EXPECT_EQ(listing(), std::vector<std::string>{"y.safetensors"});
}

TEST_F(Cli, DefaultBackendIsAuto) {
  const std::string w = save("w.safetensors", lstm_w), x = save("x.safetensors", lstm_x);
  const TensorFile y = expect_success({"run", "--weights", w, "--input", x, "--output", out});
  EXPECT_EQ(y.metadata.at("backend"), default_backend_name());
  EXPECT_EQ(y.metadata.at("pass"), "forward+backward");
}

TEST_F(Cli, ReplacesAnExistingOutput) {
  test::write_text_file(out, "old contents");
  const TensorFile y = expect_success(
      run_args(lstm_w, lstm_x),
      {"(backend cpu-ref, F32, forward+backward): output [5, 3, 12], h_n [4, 3, 6], c_n [4, 3, "
       "6] + gradients of input, h0, c0 and 16 parameters\n"});
  EXPECT_NE(y.find("grad.weight_hh_l1_reverse"), nullptr);
  EXPECT_EQ(listing(),
            (std::vector<std::string>{"w.safetensors", "x.safetensors", "y.safetensors"}));
}

// F64 and F16 files are converted to the F32 the run computes in: an F64 copy of the F32 files
// gives the same answer, an F16 copy the answer for F16-rounded values.
TEST_F(Cli, ConvertsOtherDtypes) {
  const TensorFile reference = expect_success(run_args(lstm_w, lstm_x));
  const TensorFile from_f64 =
      expect_success(run_args(converted(lstm_w, DType::F64), converted(lstm_x, DType::F64)));
  for (const auto& [name, t] : reference.tensors) {
    ASSERT_NE(from_f64.find(name), nullptr) << name;
    EXPECT_TRUE(test::close(*from_f64.find(name), t, test::kF64, "from F64: " + name));
  }
  const TensorFile rounded =
      expect_success(run_args(converted(converted(lstm_w, DType::F16), DType::F32), lstm_x));
  const TensorFile from_f16 = expect_success(run_args(converted(lstm_w, DType::F16), lstm_x));
  for (const auto& [name, t] : rounded.tensors) {
    ASSERT_NE(from_f16.find(name), nullptr) << name;
    EXPECT_TRUE(test::close(*from_f16.find(name), t, test::kF64, "from F16: " + name));
  }
}

TEST_F(Cli, ComputesInF64WhenAsked) {
  auto args = run_args(lstm_w, lstm_x);
  args.insert(args.end(), {"--dtype", "f64"});
  const TensorFile y = expect_success(args);
  const TensorFile expected =
      read_safetensors(source_file("tests/fixtures/lstm_2l_bidir.expected.safetensors"));
  EXPECT_EQ(y.metadata.at("dtype"), "F64");
  ASSERT_EQ(y.tensors.size(), expected.tensors.size());
  for (const auto& [name, t] : expected.tensors) {
    ASSERT_NE(y.find(name), nullptr) << name;
    EXPECT_EQ(y.find(name)->dtype(), DType::F64) << name;
    EXPECT_TRUE(test::close(*y.find(name), t, test::kF64, name));
  }
}

}  // namespace
}  // namespace recur
