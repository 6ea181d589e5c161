// Running the `recur` binary in tests of its error handling: the command line with the binary
// in front, and the checks every error case shares (exit status, one line on stderr, no hang).
#pragma once

#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "recur/safetensors.h"
#include "support/subprocess.h"

namespace recur::test {

inline std::vector<std::string> with_cli(std::vector<std::string> args) {
  args.insert(args.begin(), RECUR_CLI);
  return args;
}

inline ProcessResult recur(const std::vector<std::string>& args, double timeout_s = 120) {
  return run_process(with_cli(args), timeout_s);
}

inline std::string joined(const std::vector<std::string>& args) {
  std::string s;
  for (const auto& a : args) s += a + " ";
  return s;
}

inline size_t line_count(const std::string& s) {
  size_t n = 0;
  std::stringstream ss(s);
  std::string line;
  while (std::getline(ss, line)) ++n;
  return n;
}

// Exit status `code`, one line on stderr holding `message` (the last line, after the progress
// lines of a run that had started, when `after_progress`), nothing that hung.
inline void expect_error(const std::vector<std::string>& args, int code, const std::string& message,
                         bool after_progress = false) {
  const ProcessResult r = recur(args, 30);
  EXPECT_FALSE(r.timed_out) << joined(args) << ": hung";
  EXPECT_EQ(r.exit_code, code) << joined(args) << "\n" << r.err;
  if (after_progress) {
    const size_t last = r.err.rfind('\n', r.err.size() - 2);
    EXPECT_NE(r.err.find(": error: " + message, last == std::string::npos ? 0 : last),
              std::string::npos)
        << joined(args) << "\n"
        << r.err;
    return;
  }
  EXPECT_EQ(line_count(r.err), 1u) << joined(args) << "\n" << r.err;
  EXPECT_NE(r.err.find(message), std::string::npos) << joined(args) << "\n" << r.err;
}

inline std::vector<std::string> temp_files(const std::string& dir) {
  std::vector<std::string> found;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (e.path().filename().string().find(".tmp.") != std::string::npos)
      found.push_back(e.path().string());
  return found;
}

inline const std::vector<std::string> kTinySine = {"train",    "sine", "--hidden", "4",
                                                   "--layers", "1",    "--points", "120",
                                                   "--window", "5",    "--batch",  "16"};

// A sine run small enough to finish an epoch in milliseconds.
inline std::vector<std::string> tiny_sine(const std::string& out,
                                          std::vector<std::string> more = {}) {
  std::vector<std::string> args = kTinySine;
  args.insert(args.end(), {"--out", out});
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

// A text file in `dir` that `tiny_chars` can train on.
inline std::string chars_text(const TempDir& dir) {
  std::string text;
  for (int i = 0; i < 40; ++i) text += "to be or not to be, that is the question.\n";
  write_text_file(dir.file("text.txt"), text);
  return dir.file("text.txt");
}

inline std::vector<std::string> tiny_chars(const std::string& text, const std::string& out) {
  return {"train",   "chars", "--text",  text, "--steps", "3", "--hidden", "8",
          "--embed", "4",     "--batch", "2",  "--seq",   "8", "--out",    out};
}

// Rewrites the checkpoint at `path` after `edit` (through the library, so the file stays valid
// safetensors).
template <class Edit>
inline void edit_checkpoint(const std::string& path, Edit edit) {
  TensorFile f = read_safetensors(path);
  edit(f);
  write_safetensors(path, f);
}

}  // namespace recur::test
