// The `recur` binary under careless and hostile use (issue 13): devices, FIFOs and directories
// as inputs, outputs that are inputs or devices, signals during training, two runs on one
// --out, diverging training, edited and damaged checkpoints, requests larger than memory.
// Every case runs the binary and checks the exit status, the one error line and the files left.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "recur/files.h"
#include "recur/safetensors.h"
#include "support/cli_run.h"

namespace recur::test {
namespace {

namespace fs = std::filesystem;

const std::string kFixtures = std::string(RECUR_SOURCE_DIR) + "/tests/fixtures/";
const std::string kWeights = kFixtures + "lstm_odd.weights.safetensors";
const std::string kInput = kFixtures + "lstm_odd.input.safetensors";

TEST(HostileCli, DevicesFifosAndDirectoriesAreRefusedWithoutBlocking) {
  TempDir dir;
  const std::string fifo = dir.file("fifo");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const std::string out = dir.file("y.safetensors");
  for (const std::string& bad : {std::string("/dev/zero"), std::string("/dev/urandom"), fifo}) {
    const std::string kind = bad == fifo ? "a FIFO" : "a character device";
    expect_error({"sample", "--checkpoint", bad}, 1, kind + ", not a regular file");
    expect_error({"run", "--weights", bad, "--input", kInput, "--output", out}, 1, kind);
    expect_error({"run", "--weights", kWeights, "--input", bad, "--output", out}, 1, kind);
    expect_error(tiny_sine(dir.file("o"), {"--resume", bad}), 1, kind);
  }
  expect_error({"run", "--weights", dir.file(""), "--input", kInput, "--output", out}, 1,
               "is a directory, not a regular file");
  EXPECT_FALSE(fs::exists(out));
  EXPECT_FALSE(fs::exists(dir.file("o") + "/model.safetensors"));
}

TEST(HostileCli, OutputThatIsAnInputIsRefusedAndTheInputKept) {
  TempDir dir;
  fs::copy_file(kWeights, dir.file("w.safetensors"));
  fs::copy_file(kInput, dir.file("x.safetensors"));
  fs::create_hard_link(dir.file("x.safetensors"), dir.file("x-link.safetensors"));
  const std::string w = dir.file("w.safetensors"), x = dir.file("x.safetensors");
  const std::string w_bytes = read_text_file(w), x_bytes = read_text_file(x);
  // The same path, another spelling of it, a hard link: all the same file.
  const std::string w_spelled = dir.path().string() + "/./sub/../w.safetensors";
  fs::create_directory(dir.file("sub"));
  expect_error({"run", "--weights", w, "--input", x, "--output", w}, 2,
               "is the same file as --weights");
  expect_error({"run", "--weights", w, "--input", x, "--output", w_spelled}, 2,
               "is the same file as --weights");
  expect_error({"run", "--weights", w, "--input", x, "--output", x}, 2,
               "is the same file as --input");
  expect_error({"run", "--weights", w, "--input", x, "--output", dir.file("x-link.safetensors")}, 2,
               "is the same file as --input");
  EXPECT_EQ(read_text_file(w), w_bytes);
  EXPECT_EQ(read_text_file(x), x_bytes);
}

TEST(HostileCli, OutputThatIsNotARegularFileIsNeverReplaced) {
  TempDir dir;
  const std::string fifo = dir.file("fifo");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  write_text_file(dir.file("target"), "keep me");
  fs::create_symlink(dir.file("target"), dir.file("link"));
  fs::create_directory(dir.file("dir"));
  const std::vector<std::pair<std::string, std::string>> outputs = {
      {"/dev/null", "a character device"},
      {fifo, "a FIFO"},
      {dir.file("link"), "a symbolic link"},
      {dir.file("dir"), "a directory"}};
  for (const auto& [output, kind] : outputs)
    expect_error({"run", "--weights", kWeights, "--input", kInput, "--output", output}, 1,
                 "it is " + kind + "; recur replaces only regular files");
  struct stat st {};
  ASSERT_EQ(::stat("/dev/null", &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  EXPECT_TRUE(fs::is_fifo(fifo));
  EXPECT_TRUE(fs::is_symlink(dir.file("link")));
  EXPECT_EQ(read_text_file(dir.file("target")), "keep me");
  EXPECT_TRUE(temp_files(dir.path().string()).empty());
}

// A temporary file named after a process that no longer exists is removed at the next write
// of the same output; one of a live process (this test) is left alone.
TEST(HostileCli, StaleTemporaryFilesOfDeadProcessesAreRemoved) {
  TempDir dir;
  Child gone = start_process({"/bin/true"});
  const pid_t dead = gone.pid;
  wait_process(gone);
  ASSERT_NE(::kill(dead, 0), 0);
  const std::string out = dir.file("y.safetensors");
  const std::string stale = fmt::format("{}.tmp.{}.0", out, static_cast<long>(dead));
  const std::string live = fmt::format("{}.tmp.{}.0", out, static_cast<long>(::getpid()));
  write_text_file(stale, "left by a killed run");
  write_text_file(live, "a write in progress");
  const ProcessResult r = recur({"run", "--weights", kWeights, "--input", kInput, "--output", out});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(fs::exists(stale));
  EXPECT_TRUE(fs::exists(live));
  EXPECT_NO_THROW(read_safetensors(out));
}

// SIGINT or SIGTERM at any moment of a training run: the process dies of the signal, no
// temporary file remains, and the checkpoint resumes.
TEST(HostileCli, SignalsDuringTrainingLeaveNoTemporaryFileAndTheCheckpointResumes) {
  TempDir dir;
  const std::string out = dir.file("sine");
  const std::string ckpt = out + "/model.safetensors";
  int round = 0;
  for (int sig : {SIGINT, SIGTERM, SIGINT, SIGTERM, SIGINT}) {
    Child c = start_process(with_cli(tiny_sine(out, {"--epochs", "100000"})));
    // Wait for a checkpoint, then a little longer (a different moment of a write each round).
    const auto start = std::chrono::steady_clock::now();
    while (!fs::exists(ckpt) && std::chrono::steady_clock::now() - start < std::chrono::seconds(60))
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    std::this_thread::sleep_for(std::chrono::milliseconds(7 * round++));
    ::kill(c.pid, sig);
    const ProcessResult r = wait_process(c, 60);
    EXPECT_EQ(r.exit_code, 128 + sig) << r.err;
    EXPECT_EQ(temp_files(out), std::vector<std::string>{}) << "after signal " << sig;
    ASSERT_NO_THROW(read_safetensors(ckpt));
  }
  // Resumed for one epoch more than it finished, it trains exactly that one.
  const std::string history = read_safetensors(ckpt).metadata.at("history.train_loss");
  const int64_t done = history.empty() ? 0 : std::count(history.begin(), history.end(), ',') + 1;
  ASSERT_GE(done, 1);
  const ProcessResult resumed = recur(
      {"train", "sine", "--resume", ckpt, "--epochs", std::to_string(done + 1), "--out", out});
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  EXPECT_NE(resumed.err.find(fmt::format("epoch {}/{}", done + 1, done + 1)), std::string::npos)
      << resumed.err;
  EXPECT_TRUE(temp_files(out).empty());
}

// A file-size limit (ulimit -f) that the checkpoint exceeds: the write fails with a clear error
// (SIGXFSZ is ignored), exit 1, and no partial or temporary file remains.
TEST(HostileCli, FileSizeLimitFailsTheWriteCleanly) {
  TempDir dir;
  const std::string out = dir.file("sine");
  std::string cmd = "ulimit -f 40 && exec";
  for (const std::string& a : with_cli({"train", "sine", "--hidden", "64", "--points", "120",
                                        "--window", "5", "--epochs", "1", "--out", out}))
    cmd += " '" + a + "'";
  const ProcessResult r = run_process({"/bin/sh", "-c", cmd}, 60);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("File too large"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(out + "/model.safetensors"));
  EXPECT_TRUE(temp_files(out).empty());
}

TEST(HostileCli, SecondRunOnTheSameOutDirectoryFailsClearly) {
  TempDir dir;
  const std::string out = dir.file("sine");
  Child first = start_process(with_cli(tiny_sine(out, {"--epochs", "100000"})));
  const auto start = std::chrono::steady_clock::now();
  while (!fs::exists(out + "/model.safetensors") &&
         std::chrono::steady_clock::now() - start < std::chrono::seconds(60))
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  expect_error(tiny_sine(out, {"--epochs", "1"}), 1, "is in use by another recur process");
  ::kill(first.pid, SIGTERM);
  const ProcessResult r = wait_process(first, 60);
  EXPECT_EQ(r.exit_code, 128 + SIGTERM) << r.err;
  // Released with the process: the directory can be used again.
  const ProcessResult again = recur(tiny_sine(out, {"--epochs", "1"}));
  EXPECT_EQ(again.exit_code, 0) << again.err;
}

// MemAvailable of /proc/meminfo in bytes, read here independently of the library.
uint64_t mem_available() {
  std::ifstream in("/proc/meminfo");
  std::string key;
  uint64_t kb = 0;
  std::string unit;
  while (in >> key >> kb >> unit)
    if (key == "MemAvailable:") return kb * 1024;
  return 0;
}

// A safetensors file of F32 tensors whose data is a hole (zeros, no disk space): as large as a
// test needs without writing it.
void write_sparse_safetensors(const std::string& path,
                              const std::vector<std::pair<std::string, Shape>>& tensors,
                              const std::map<std::string, std::string>& metadata = {}) {
  std::string header = "{\"__metadata__\":{";
  for (const auto& [k, v] : metadata)
    header += (header.back() == '{' ? "\"" : ",\"") + k + "\":\"" + v + "\"";
  header += "}";
  uint64_t offset = 0;
  for (const auto& [name, shape] : tensors) {
    uint64_t bytes = 4;
    for (int64_t d : shape) bytes *= static_cast<uint64_t>(d);
    header += fmt::format(",\"{}\":{{\"dtype\":\"F32\",\"shape\":[{}],\"data_offsets\":[{},{}]}}",
                          name, fmt::join(shape, ","), offset, offset + bytes);
    offset += bytes;
  }
  header += "}";
  header.append((8 - header.size() % 8) % 8, ' ');
  std::string bytes(8, '\0');
  for (int i = 0; i < 8; ++i) bytes[i] = static_cast<char>(header.size() >> (8 * i));
  write_text_file(path, bytes + header);
  fs::resize_file(path, 8 + header.size() + offset);
}

const std::map<std::string, std::string> kRnnMeta = {
    {"mode", "RNN_TANH"}, {"input_size", "1"},      {"hidden_size", "2048"},   {"num_layers", "1"},
    {"bias", "true"},     {"batch_first", "false"}, {"bidirectional", "false"}};

const std::vector<std::pair<std::string, Shape>> kRnnParams = {{"weight_ih_l0", {2048, 1}},
                                                               {"weight_hh_l0", {2048, 2048}},
                                                               {"bias_ih_l0", {2048}},
                                                               {"bias_hh_l0", {2048}}};

// Tensors larger than the memory available are refused before any is allocated, naming the
// file, the tensor and the bytes.
TEST(HostileCli, InputsLargerThanMemoryAreRefusedUpFront) {
  TempDir dir;
  const uint64_t available = mem_available();
  ASSERT_GT(available, 0u);
  const int64_t T = static_cast<int64_t>(available / 4 / 1000 * 2);  // twice the memory
  const std::string big = dir.file("big.safetensors");
  write_sparse_safetensors(big, {{"input", {T, 1000, 1}}});
  const std::string out = dir.file("y.safetensors");
  const auto start = std::chrono::steady_clock::now();
  expect_error({"run", "--weights", kWeights, "--input", big, "--output", out}, 1,
               fmt::format("'{}': tensor 'input' ({} bytes)", big, T * 4000));
  expect_error({"run", "--weights", big, "--input", kInput, "--output", out}, 1,
               "of memory available");
  expect_error({"sample", "--checkpoint", big}, 1, "of memory available");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(20));
  EXPECT_FALSE(fs::exists(out));
}

// Results that cannot fit are refused before the run: an input of a few MB whose output,
// [T, 1, 2048] floats, is 1.5 times the memory available.
TEST(HostileCli, OutputLargerThanMemoryIsRefusedBeforeTheRun) {
  TempDir dir;
  const uint64_t available = mem_available();
  ASSERT_GT(available, 0u);
  const int64_t T = static_cast<int64_t>(available / (2048 * 4) * 3 / 2);
  write_sparse_safetensors(dir.file("w.safetensors"), kRnnParams, kRnnMeta);
  write_sparse_safetensors(dir.file("x.safetensors"), {{"input", {T, 1, 1}}});
  const std::string out = dir.file("y.safetensors");
  const auto start = std::chrono::steady_clock::now();
  expect_error({"run", "--weights", dir.file("w.safetensors"), "--input", dir.file("x.safetensors"),
                "--output", out},
               1, fmt::format("'{}': the results (output [{}, 1, 2048])", out, T));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(20));
  EXPECT_FALSE(fs::exists(out));
}

// AddressSanitizer's shadow memory and quarantine of freed blocks (256 MB by default) make peak
// RSS say nothing about what the program itself holds: the memory bounds are checked in
// uninstrumented builds only, and reported as skipped under ASan.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kRssMeasurable = false;
#else
constexpr bool kRssMeasurable = true;
#endif

// Peak resident memory of a run beyond that of a tiny run of the same network (the program,
// its libraries, thread stacks), in bytes.
int64_t extra_peak_bytes(const std::vector<std::string>& big,
                         const std::vector<std::string>& tiny) {
  const ProcessResult b = recur(big), t = recur(tiny);
  EXPECT_EQ(b.exit_code, 0) << b.err;
  EXPECT_EQ(t.exit_code, 0) << t.err;
  std::printf("peak RSS: %ld kB (tiny run: %ld kB)\n", b.max_rss_kb, t.max_rss_kb);
  return (b.max_rss_kb - t.max_rss_kb) * 1024;
}

// `recur run` holds its input once (read where the header says, not copied twice) and the
// output: its peak is at most twice that data beyond a tiny run's (the CPU backend's workspace
// for the input projection, the size of the output here, fits in the allowance).
TEST(HostileCli, RunPeakMemoryIsAboutTwiceItsData) {
  if (!kRssMeasurable) GTEST_SKIP() << "peak RSS under AddressSanitizer is not the program's";
  TempDir dir;
  const int64_t T = 2500, B = 64, H = 64;  // input and output [T, B, H] F32: 41 MB each
  std::map<std::string, std::string> meta = kRnnMeta;
  meta["input_size"] = meta["hidden_size"] = std::to_string(H);
  write_sparse_safetensors(dir.file("w.safetensors"),
                           {{"weight_ih_l0", {H, H}},
                            {"weight_hh_l0", {H, H}},
                            {"bias_ih_l0", {H}},
                            {"bias_hh_l0", {H}}},
                           meta);
  write_sparse_safetensors(dir.file("x.safetensors"), {{"input", {T, B, H}}});
  write_sparse_safetensors(dir.file("tiny.safetensors"), {{"input", {1, 1, H}}});
  const auto run = [&](const std::string& input) {
    return std::vector<std::string>{"run", "--weights", dir.file("w.safetensors"), "--input",
                                    input, "--output",  dir.file("y.safetensors"), "--backend",
                                    "cpu"};
  };
  const int64_t data = 2 * T * B * H * 4;  // input + output
  const int64_t extra =
      extra_peak_bytes(run(dir.file("x.safetensors")), run(dir.file("tiny.safetensors")));
  EXPECT_LE(extra, 2 * data) << "data " << data << " bytes";
}

// `train chars` keeps the text's ids (2 bytes a character) beside the text itself: about 3x.
TEST(HostileCli, TrainCharsHoldsAboutThreeTimesItsText) {
  if (!kRssMeasurable) GTEST_SKIP() << "peak RSS under AddressSanitizer is not the program's";
  TempDir dir;
  std::string text;
  while (text.size() < (16u << 20)) text += "to be or not to be, that is the question.\n";
  write_text_file(dir.file("big.txt"), text);
  const auto train = [&](const std::string& path) {
    return std::vector<std::string>{"train",   "chars",    "--text",     path,      "--steps",
                                    "1",       "--hidden", "8",          "--embed", "4",
                                    "--batch", "2",        "--seq",      "8",       "--backend",
                                    "cpu",     "--out",    dir.file("o")};
  };
  const int64_t extra = extra_peak_bytes(train(dir.file("big.txt")), train(chars_text(dir)));
  EXPECT_LE(extra, 3 * static_cast<int64_t>(text.size())) << "text " << text.size() << " bytes";
}

}  // namespace
}  // namespace recur::test
