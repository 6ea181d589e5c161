// `recur check` as a user runs it: the quick sweep of the cpu backend against cpu-ref passes
// with exit 0 and prints a full table; cpu-ref against itself is exact; an impossible bound
// makes every row fail with exit 1 and names the offending column; mistakes in the command
// line give one error line and a non-zero exit.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "recur/backend.h"
#include "support/subprocess.h"

namespace recur::test {
namespace {

ProcessResult check(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {RECUR_CLI, "check"};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_process(argv);
}

int count(const std::string& text, const std::string& what) {
  int n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST(CheckCli, CpuQuickSweepPasses) {
  const ProcessResult r = check({"--backend", "cpu", "--quick"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("configuration"), std::string::npos) << r.out;
  for (const char* column : {"output", "h_n", "c_n", "d_input", "d_h0", "d_c0", "d_weights"})
    EXPECT_NE(r.out.find(column), std::string::npos) << column;
  // Every cell appears, every row passed, and the summary agrees.
  for (const char* cell : {"RNN_TANH", "RNN_RELU", "LSTM", "GRU"})
    EXPECT_GE(count(r.out, std::string("\n") + cell + " "), 2) << cell;
  // The quick sweep: 16 configurations of the four cells, 8 ragged ones, 4 projected LSTMs and
  // a ragged projected one.
  EXPECT_EQ(count(r.out, "  ok\n"), 29) << r.out;
  EXPECT_EQ(count(r.out, "FAIL"), 0) << r.out;
  EXPECT_NE(r.out.find("29 configurations: 29 passed, 0 failed"), std::string::npos) << r.out;
  for (const char* projected : {" H17 P5 ", " H9 P4 ", " H13 P1 ", " H6 P5 "})
    EXPECT_EQ(count(r.out, projected), 1) << projected << "\n" << r.out;
  EXPECT_TRUE(r.err.empty()) << r.err;
}

TEST(CheckCli, CpuRefAgainstItselfIsExact) {
  // Zero error even with a zero bound: the same code on the same data.
  const ProcessResult r = check({"--backend", "cpu-ref", "--quick", "--bound", "0", "--seed", "7"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(count(r.out, "  ok\n"), 29) << r.out;
}

TEST(CheckCli, FailuresExitNonZeroAndNameTheColumn) {
  // cpu and cpu-ref sum in different orders: float32 results differ in the last bits, so a
  // zero bound fails (nearly) every configuration.
  const ProcessResult r = check({"--backend", "cpu", "--quick", "--bound", "0"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  const int failed = count(r.out, "  FAIL\n");
  EXPECT_GE(failed, 8) << r.out;
  EXPECT_NE(r.out.find("relative error"), std::string::npos) << r.out;
  EXPECT_NE(
      r.out.find(std::to_string(29 - failed) + " passed, " + std::to_string(failed) + " failed"),
      std::string::npos)
      << r.out;
}

TEST(CheckCli, Float64UsesTheTightBound) {
  const ProcessResult r = check({"--backend", "cpu", "--quick", "--dtype", "f64"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("bound 1e-12"), std::string::npos) << r.out;
}

TEST(CheckCli, CommandLineMistakesGiveOneLine) {
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{{"--backend", "nope"},
                                             {"--dtype", "f16"},
                                             {"--seed", "x"},
                                             {"--frobnicate"},
                                             {"extra"}}) {
    const ProcessResult r = check(args);
    EXPECT_NE(r.exit_code, 0) << args[0];
    EXPECT_EQ(count(r.err, "\n"), 1) << r.err;
    EXPECT_NE(r.err.find("recur check: error:"), std::string::npos) << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
  }
  const ProcessResult unknown = check({"--backend", "nope"});
  EXPECT_NE(unknown.err.find("unknown backend 'nope'"), std::string::npos) << unknown.err;
}

TEST(CheckCli, BackendThatCannotRunHereSaysWhy) {
  std::string why;
  if (gpu_available(&why)) GTEST_SKIP() << "a GPU is present: " << why;
  const ProcessResult r = check({"--backend", "cuda", "--quick"});
  if (r.err.find("unknown backend") != std::string::npos)
    GTEST_SKIP() << "recur was built without the cuda backend";
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_EQ(count(r.err, "\n"), 1) << r.err;
  EXPECT_NE(r.err.find("cuda backend: no"), std::string::npos) << r.err;
}

TEST(CheckCli, Help) {
  const ProcessResult r = check({"--help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("usage: recur check"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace recur::test
