// The training commands through the `recur` binary at tiny sizes: `train sine` (summary line,
// plots, checkpoint, resume), `train chars` + `sample`, `gradflow`, and bad input giving one
// error line and a non-zero exit.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "recur/safetensors.h"
#include "support/subprocess.h"

namespace recur::test {
namespace {

ProcessResult recur(std::vector<std::string> args) {
  args.insert(args.begin(), RECUR_CLI);
  return run_process(args);
}

std::vector<std::string> lines(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string line;
  while (std::getline(ss, line)) out.push_back(line);
  return out;
}

// The value of `key=` in a key=value line; NaN when absent.
double field(const std::string& line, const std::string& key) {
  const size_t at = line.find(key + "=");
  if (at == std::string::npos || (at > 0 && line[at - 1] != ' ')) return NAN;
  return std::strtod(line.c_str() + at + key.size() + 1, nullptr);
}

void expect_svg(const std::string& path) {
  const std::string s = read_text_file(path);
  EXPECT_EQ(s.rfind("<svg xmlns=\"http://www.w3.org/2000/svg\"", 0), 0u) << path;
  EXPECT_NE(s.find("<polyline"), std::string::npos) << path;
  EXPECT_EQ(s.substr(s.size() - 7), "</svg>\n") << path;
}

TEST(TrainCli, SineWritesSummaryPlotsAndCheckpointAndResumes) {
  TempDir dir;
  const std::string out = dir.file("sine");
  const std::vector<std::string> tiny = {"train",    "sine", "--hidden", "8",  "--layers", "1",
                                         "--points", "300",  "--window", "10", "--out",    out};
  std::vector<std::string> args = tiny;
  args.insert(args.end(), {"--epochs", "1"});
  const ProcessResult r = recur(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto out_lines = lines(r.out);
  ASSERT_EQ(out_lines.size(), 1u) << r.out;  // exactly one summary line on stdout
  const std::string& summary = out_lines[0];
  EXPECT_EQ(summary.rfind("test_mse=", 0), 0u) << summary;
  const double mse = field(summary, "test_mse");
  EXPECT_TRUE(std::isfinite(mse) && mse > 0) << summary;
  EXPECT_EQ(field(summary, "epochs"), 1.0);
  EXPECT_NE(summary.find(" cell=lstm "), std::string::npos);
  EXPECT_NE(summary.find(" backend="), std::string::npos);
  EXPECT_TRUE(std::isfinite(field(summary, "train_time_s")));
  // Not a terminal: plain lines, no bar redrawn with carriage returns.
  EXPECT_NE(r.err.find("epoch 1/1 train_loss="), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find('\r'), std::string::npos);
  expect_svg(out + "/predictions.svg");
  expect_svg(out + "/loss.svg");
  // predictions.csv: a header, then t,actual,predicted per test target; their MSE is test_mse.
  const auto csv = lines(read_text_file(out + "/predictions.csv"));
  ASSERT_GT(csv.size(), 10u);
  EXPECT_EQ(csv[0], "t,actual,predicted");
  double sq = 0;
  for (size_t i = 1; i < csv.size(); ++i) {
    double t = 0, actual = 0, predicted = 0;
    ASSERT_EQ(std::sscanf(csv[i].c_str(), "%lf,%lf,%lf", &t, &actual, &predicted), 3) << csv[i];
    sq += (predicted - actual) * (predicted - actual);
  }
  EXPECT_NEAR(sq / static_cast<double>(csv.size() - 1), mse, 1e-6 * mse + 5e-7);
  const TensorFile ckpt = read_safetensors(out + "/model.safetensors");
  EXPECT_NE(ckpt.find("weight_ih_l0"), nullptr);
  EXPECT_NE(ckpt.find("head.2.weight"), nullptr);
  EXPECT_EQ(ckpt.metadata.at("task"), "sine");
  // No temporary files are left behind.
  int files = 0;
  for (const auto& e : std::filesystem::directory_iterator(out)) files += e.is_regular_file();
  EXPECT_EQ(files, 4);

  const ProcessResult resumed = recur(
      {"train", "sine", "--resume", out + "/model.safetensors", "--epochs", "2", "--out", out});
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  EXPECT_EQ(field(lines(resumed.out).back(), "epochs"), 2.0) << resumed.out;
  EXPECT_NE(resumed.err.find("epoch 2/2"), std::string::npos);
  EXPECT_EQ(resumed.err.find("epoch 1/2"), std::string::npos);  // not trained again
  // The extended total is what the checkpoint now records: a plain --resume continues to it.
  EXPECT_EQ(read_safetensors(out + "/model.safetensors").metadata.at("sine.epochs"), "2");
}

TEST(TrainCli, CharsTrainsAndSampleGeneratesFromTheCheckpoint) {
  TempDir dir;
  std::string text;
  for (int i = 0; i < 60; ++i) text += "to be or not to be, that is the question.\n";
  write_text_file(dir.file("text.txt"), text);
  const std::string out = dir.file("chars");
  const ProcessResult r =
      recur({"train", "chars", "--text", dir.file("text.txt"), "--steps", "8", "--hidden", "16",
             "--embed", "8", "--batch", "4", "--seq", "16", "--out", out});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_EQ(lines(r.out).size(), 1u) << r.out;
  const std::string summary = lines(r.out)[0];
  EXPECT_EQ(summary.rfind("val_loss=", 0), 0u) << summary;
  EXPECT_TRUE(std::isfinite(field(summary, "val_loss")));
  EXPECT_EQ(field(summary, "steps"), 8.0);
  EXPECT_NE(r.err.find("(full validation)"), std::string::npos) << r.err;
  expect_svg(out + "/loss.svg");

  const std::vector<std::string> sample = {"sample",
                                           "--checkpoint",
                                           out + "/model.safetensors",
                                           "--prime",
                                           "to be",
                                           "--length",
                                           "30",
                                           "--seed",
                                           "4",
                                           "--temperature",
                                           "0.7"};
  const ProcessResult a = recur(sample), b = recur(sample);
  ASSERT_EQ(a.exit_code, 0) << a.err;
  EXPECT_EQ(a.out, b.out);  // seeded
  EXPECT_EQ(a.out.rfind("to be", 0), 0u) << a.out;
  EXPECT_EQ(a.out.size(), 5u + 30u + 1u);  // prime, 30 ASCII characters, newline
  EXPECT_TRUE(a.err.empty()) << a.err;

  // --greedy: the same text whatever the seed and temperature (the library's sample_text
  // test checks it against a hand-stepped argmax).
  std::vector<std::string> greedy = sample;
  greedy.push_back("--greedy");
  const ProcessResult g = recur(greedy);
  greedy[8] = "5";
  greedy[10] = "2.5";
  const ProcessResult h = recur(greedy);
  ASSERT_EQ(g.exit_code, 0) << g.err;
  EXPECT_EQ(g.out, h.out);
  EXPECT_EQ(g.out.rfind("to be", 0), 0u) << g.out;
}

TEST(TrainCli, GradflowShowsTheTanhRnnLosingItsGradientFastest) {
  TempDir dir;
  const ProcessResult r = recur(
      {"gradflow", "--steps", "30", "--hidden", "8", "--input", "8", "--out", dir.file("gf")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto out = lines(r.out);
  ASSERT_GE(out.size(), 4u);
  EXPECT_NE(out[1].find("rnn"), std::string::npos);
  const std::string& summary = out.back();
  const double rnn = field(summary, "rnn"), lstm = field(summary, "lstm");
  const double lstm_fb = field(summary, "lstm_fb1");
  ASSERT_TRUE(rnn > 0 && lstm > 0 && lstm_fb > 0) << summary;
  // 30 steps back, every cell has lost most of the gradient; the tanh RNN the most, and open
  // forget gates keep the most.
  EXPECT_LT(lstm, 1.0);
  EXPECT_LT(rnn, lstm);
  EXPECT_GT(lstm_fb, lstm);
  expect_svg(dir.file("gf") + "/gradflow.svg");
  EXPECT_EQ(lines(read_text_file(dir.file("gf") + "/gradflow.csv")).size(), 31u);
}

TEST(TrainCli, BadInputGivesOneErrorLineAndNonZeroExit) {
  TempDir dir;
  write_text_file(dir.file("short.txt"), "abc");
  write_text_file(dir.file("junk.safetensors"), "not a safetensors file");
  const std::vector<std::vector<std::string>> cases = {
      {"train"},
      {"train", "fish"},
      {"train", "sine", "--epochs", "x"},
      {"train", "sine", "--bogus", "1"},
      {"train", "sine", "--cell", "lstmx"},
      {"train", "sine", "--hidden", "0", "--out", dir.file("o")},
      {"train", "sine", "--resume", dir.file("missing.safetensors")},
      {"train", "chars"},
      {"train", "chars", "--text", dir.file("missing.txt")},
      {"train", "chars", "--text", dir.file("short.txt"), "--out", dir.file("o")},
      {"sample", "--checkpoint", dir.file("junk.safetensors")},
      {"sample"},
      {"gradflow", "--steps", "0"},
  };
  for (const auto& args : cases) {
    std::string cmd;
    for (const auto& a : args) cmd += a + " ";
    const ProcessResult r = recur(args);
    EXPECT_NE(r.exit_code, 0) << cmd;
    const auto err = lines(r.err);
    EXPECT_EQ(err.size(), 1u) << cmd << "\n" << r.err;
    EXPECT_TRUE(r.out.empty()) << cmd << "\n" << r.out;
  }
  EXPECT_FALSE(std::filesystem::exists(dir.file("o") + "/model.safetensors"));
}

// Flags out of range are usage errors (exit 2), caught before any training: non-finite numbers,
// sizes below 1, --steps 0 (which would otherwise mean "no step limit"); a directory is not a
// text file.
TEST(TrainCli, FlagsOutOfRangeAreUsageErrors) {
  TempDir dir;
  write_text_file(dir.file("t.txt"), std::string(4000, 'a'));
  const std::string text = dir.file("t.txt"), o = dir.file("o");
  const std::vector<std::vector<std::string>> usage = {
      {"train", "sine", "--lr", "inf", "--out", o},
      {"train", "sine", "--lr", "nan", "--out", o},
      {"train", "sine", "--window", "0", "--out", o},
      {"train", "sine", "--batch", "0", "--out", o},
      {"train", "sine", "--epochs", "-1", "--out", o},
      {"train", "chars", "--text", text, "--steps", "0", "--out", o},
      {"train", "chars", "--text", text, "--seq", "0", "--out", o},
      {"train", "chars", "--text", text, "--batch", "0", "--out", o},
      {"train", "chars", "--text", text, "--clip", "inf", "--out", o},
      {"gradflow", "--forget-bias", "nan", "--out", o},
      {"sample", "--checkpoint", text, "--temperature", "inf"},
  };
  for (const auto& args : usage) {
    std::string cmd;
    for (const auto& a : args) cmd += a + " ";
    const ProcessResult r = recur(args);
    EXPECT_EQ(r.exit_code, 2) << cmd << "\n" << r.err;
    EXPECT_EQ(lines(r.err).size(), 1u) << cmd << "\n" << r.err;
  }
  const ProcessResult r = recur({"train", "chars", "--text", dir.file(""), "--out", o});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("not a regular file"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(o));
}

}  // namespace
}  // namespace recur::test
