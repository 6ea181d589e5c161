// Progress of a long run on stderr: on a terminal one line redrawn in place (rows done, rate,
// ETA, what runs now); otherwise one plain line per finished row, for logs.
//
// The ETA weighs rows by their FLOPs (plus a constant per row for the fixed cost of warm-up and
// setup), since a grid's rows differ in cost by orders of magnitude.
#pragma once

#include <string>

namespace recur::bench {

class Progress {
 public:
  // `enabled` false: prints nothing. Terminal mode when stderr is a terminal.
  Progress(int total_rows, double total_flops, bool enabled);

  // A row starts (terminal: redraws the line).
  void start(const std::string& what);
  // A row ended; `summary` is its result in a few words (plain mode prints it).
  void finish(double flops, const std::string& what, const std::string& summary);
  // Erases the terminal line so that stdout can print a whole line; a no-op otherwise.
  void clear();

 private:
  std::string eta() const;
  double weight(double flops) const;

  bool enabled_;
  bool tty_;
  int total_rows_;
  int done_rows_ = 0;
  double total_work_ = 0;
  double done_work_ = 0;
  double t0_;
  bool drawn_ = false;
};

}  // namespace recur::bench
