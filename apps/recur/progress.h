// Training progress on stderr: a one-line bar redrawn in place when stderr is a terminal, and
// nothing but the permanent lines (epoch summaries, validation reports) otherwise, so that logs
// and pipes get plain lines.
#pragma once

#include <chrono>
#include <string>

namespace recur::cli {

class Progress {
 public:
  Progress();  // interactive when stderr is a terminal
  bool interactive() const { return interactive_; }

  // Redraws the bar: `label` (e.g. "epoch 3/50"), a bar filled to `fraction` of the whole run,
  // `detail` (loss, rate) and the ETA. No-op when not interactive.
  void bar(const std::string& label, double fraction, const std::string& detail, double eta_s);
  // A permanent line (clears the bar first).
  void line(const std::string& text);
  void finish();  // clears the bar

 private:
  bool interactive_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point last_draw_;
};

// "1:05", "12:00:03"
std::string format_duration(double seconds);

// `line` cut to fit the terminal on stderr: a line that wraps cannot be erased by "\r".
std::string fit_terminal(std::string line);

}  // namespace recur::cli
