// Training checkpoints and flags under careless and hostile use (issue 13), through the binary:
// diverging runs stop with exit 1 and keep the last good checkpoint; checkpoints holding NaN,
// damaged data or counters out of range are refused on load; flags out of range and flags
// that contradict a resumed run are usage errors (exit 2) naming the flag.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "recur/safetensors.h"
#include "support/cli_run.h"

namespace recur::test {
namespace {

namespace fs = std::filesystem;

// Trains the tiny sine model for `epochs` into `out`; returns the checkpoint's path.
std::string sine_checkpoint(const std::string& out, int epochs = 1) {
  const ProcessResult r = recur(tiny_sine(out, {"--epochs", std::to_string(epochs)}));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return out + "/model.safetensors";
}

std::string chars_checkpoint(const std::string& text, const std::string& out) {
  const ProcessResult r = recur(tiny_chars(text, out));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return out + "/model.safetensors";
}

void set_first(TensorFile& f, const std::string& name, float value) {
  bool found = false;
  for (auto& [n, t] : f.tensors)
    if (n == name) {
      t.data<float>()[0] = value;
      found = true;
    }
  ASSERT_TRUE(found) << "no tensor " << name;
}

TEST(CheckpointCli, DivergingTrainingStopsWithExit1AndKeepsTheLastGoodCheckpoint) {
  TempDir dir;
  const std::string out = dir.file("sine");
  const std::string ckpt = sine_checkpoint(out);
  const std::string good = read_text_file(ckpt);
  // Scaled to [0, 1e308], the series overflows the float model at once.
  expect_error(tiny_sine(out, {"--epochs", "2", "--scale", "0:1e308"}), 1,
               "training diverged at step 1", true);
  expect_error(tiny_sine(out, {"--epochs", "3", "--lr", "1e30", "--clip", "0"}), 1,
               "training diverged at step", true);
  EXPECT_EQ(read_text_file(ckpt), good);
  EXPECT_TRUE(temp_files(out).empty());
}

// A sine and a character-model checkpoint, freshly trained, and the commands that load them.
struct Checkpoints {
  TempDir dir;
  std::string text = chars_text(dir);
  std::string sine = sine_checkpoint(dir.file("sine"));
  std::string chars = chars_checkpoint(text, dir.file("chars"));

  template <class Edit>
  void edit(Edit e) {
    for (const std::string& ckpt : {sine, chars}) edit_checkpoint(ckpt, e);
  }
  // Resuming either run, and sampling from the character model, fails with `message`.
  void expect_loads_refused(const std::string& message) {
    expect_error({"train", "sine", "--resume", sine, "--epochs", "2", "--out", dir.file("sine")}, 1,
                 message);
    expect_error({"train", "chars", "--text", text, "--resume", chars, "--steps", "1", "--out",
                  dir.file("chars")},
                 1, message);
    expect_error({"sample", "--checkpoint", chars}, 1, message);
  }
};

TEST(CheckpointCli, NonFiniteValuesInACheckpointAreRefusedOnLoad) {
  Checkpoints c;
  for (float bad :
       {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity()}) {
    c.edit([&](TensorFile& f) {
      set_first(f, "weight_hh_l0", bad);
      f.metadata.erase("checkpoint.digest");  // so that the values themselves are checked
    });
    c.expect_loads_refused("tensor 'weight_hh_l0' holds a non-finite value");
  }
}

TEST(CheckpointCli, DamagedTensorDataFailsTheDigest) {
  Checkpoints c;
  for (const std::string& ckpt : {c.sine, c.chars})
    ASSERT_EQ(read_safetensors(ckpt).metadata.count("checkpoint.digest"), 1u);
  c.edit([](TensorFile& f) { set_first(f, "weight_hh_l0", 0.125f); });
  c.expect_loads_refused("does not match the checkpoint's digest");
}

// The sample command does not read the optimizer's state: only the two resumes are checked.
TEST(CheckpointCli, StepCountersOutOfRangeAreRefused) {
  Checkpoints c;
  for (const char* step :
       {"9223372036854775807", "9223372036854775808", "99999999999999999999", "-1", "1e3", ""}) {
    c.edit([&](TensorFile& f) { f.metadata["optim.step"] = step; });
    expect_error({"train", "sine", "--resume", c.sine, "--epochs", "2", "--out", c.dir.file("s")},
                 1, "'optim.step'");
    expect_error({"train", "chars", "--text", c.text, "--resume", c.chars, "--steps", "1", "--out",
                  c.dir.file("c")},
                 1, "'optim.step'");
  }
}

TEST(CheckpointCli, FlagsOutOfRangeAreUsageErrorsNamingTheFlag) {
  TempDir dir;
  const std::string text = chars_text(dir), o = dir.file("o");
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {tiny_sine(o, {"--lr", "0"}), "flag --lr:"},
      {tiny_sine(o, {"--lr", "-0.1"}), "flag --lr:"},
      {tiny_sine(o, {"--dropout", "1.5"}), "flag --dropout:"},
      {tiny_sine(o, {"--clip", "-1"}), "flag --clip:"},
      {{"train", "sine", "--points", "1", "--out", o}, "flag --points:"},
      {{"train", "sine", "--points", "10", "--window", "9", "--out", o},
       "flags --points 10 and --window 9:"},
      {{"train", "chars", "--text", text, "--lr", "0", "--out", o}, "flag --lr:"},
      {{"train", "chars", "--text", text, "--dropout", "1.5", "--out", o}, "flag --dropout:"},
      {{"train", "chars", "--text", text, "--clip", "-1", "--out", o}, "flag --clip:"},
  };
  for (const auto& [args, message] : cases) expect_error(args, 2, message);
  EXPECT_FALSE(fs::exists(o));
}

TEST(CheckpointCli, ResumeAcceptsTheCheckpointsOwnValuesAndRefusesOthers) {
  TempDir dir;
  const std::string out = dir.file("sine");
  const std::string ckpt = sine_checkpoint(out, 2);
  // The values the run was started with (kTinySine's) are no change.
  const ProcessResult same = recur({"train", "sine", "--resume", ckpt, "--hidden", "4", "--window",
                                    "5", "--epochs", "3", "--out", out});
  EXPECT_EQ(same.exit_code, 0) << same.err;
  expect_error({"train", "sine", "--resume", ckpt, "--hidden", "5", "--out", out}, 2,
               "flag --hidden: 5 differs from the resumed run's 4");
  expect_error({"train", "sine", "--resume", ckpt, "--epochs", "1", "--out", out}, 2,
               "flag --epochs: 1 is fewer than the 3 epochs the resumed run has done");

  const std::string text = chars_text(dir);
  const std::string chars = chars_checkpoint(text, dir.file("chars"));
  const ProcessResult chars_same =
      recur({"train", "chars", "--text", text, "--resume", chars, "--hidden", "8", "--steps", "1",
             "--out", dir.file("chars")});
  EXPECT_EQ(chars_same.exit_code, 0) << chars_same.err;
  expect_error({"train", "chars", "--text", text, "--resume", chars, "--seq", "9", "--steps", "1",
                "--out", dir.file("chars")},
               2, "flag --seq: 9 differs from the resumed run's 8");
}

TEST(CheckpointCli, SmallerCases) {
  TempDir dir;
  // train chars lists every cell it accepts.
  const ProcessResult help = recur({"train", "chars", "--help"});
  EXPECT_NE(help.out.find("lstm|gru|rnn|rnn-relu"), std::string::npos) << help.out;
  // A text too short for a validation part says how long it is.
  write_text_file(dir.file("short.txt"), "abcdefghijk");
  expect_error({"train", "chars", "--text", dir.file("short.txt"), "--batch", "1", "--seq", "1",
                "--out", dir.file("o")},
               1, "the last 1 of the text's 11 characters");
  // A vocabulary entry that is a surrogate code point is not a character.
  const std::string chars = chars_checkpoint(chars_text(dir), dir.file("chars"));
  edit_checkpoint(chars, [](TensorFile& f) {
    std::string& vocab = f.metadata["vocab"];
    vocab = vocab.substr(0, vocab.rfind(',') + 1) + "55296";
  });
  expect_error({"sample", "--checkpoint", chars}, 1, "is a UTF-16 surrogate (U+D800)");
}

// `sample` writes as it samples: killed in the middle of a long sample, it has written some.
TEST(CheckpointCli, SampleWritesAsItGoes) {
  TempDir dir;
  const std::string chars = chars_checkpoint(chars_text(dir), dir.file("chars"));
  Child c = start_process(with_cli({"sample", "--checkpoint", chars, "--length", "100000000"}));
  const auto start = std::chrono::steady_clock::now();
  while (read_text_file(c.io->file("stdout")).size() < 10 &&
         std::chrono::steady_clock::now() - start < std::chrono::seconds(30))
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ::kill(c.pid, SIGKILL);
  const ProcessResult r = wait_process(c, 30);
  EXPECT_EQ(r.exit_code, 128 + SIGKILL);
  EXPECT_GE(r.out.size(), 10u);
}

}  // namespace
}  // namespace recur::test
