#include "progress.h"

#include <unistd.h>

#include <cstdio>

#include <fmt/format.h>

#include "apps/recur/progress.h"
#include "timing.h"

namespace recur::bench {

namespace {
// The work a row costs besides its FLOPs (warm-up, setup, the floor's GEMMs), in FLOP.
constexpr double kRowOverheadFlops = 5e7;
}  // namespace

Progress::Progress(int total_rows, double total_flops, bool enabled)
    : enabled_(enabled), tty_(isatty(STDERR_FILENO) == 1), total_rows_(total_rows), t0_(now_s()) {
  total_work_ = total_flops + kRowOverheadFlops * total_rows;
}

double Progress::weight(double flops) const {
  return flops + kRowOverheadFlops;
}

std::string Progress::eta() const {
  if (done_work_ <= 0) return "?";
  const double elapsed = now_s() - t0_;
  return cli::format_duration(elapsed * (total_work_ - done_work_) / done_work_);
}

void Progress::start(const std::string& what) {
  if (!enabled_ || !tty_) return;
  const double elapsed = now_s() - t0_;
  const double rate = elapsed > 0 ? done_rows_ / elapsed : 0;
  const std::string line =
      cli::fit_terminal(fmt::format("[{}/{}] {:.1f} rows/s, elapsed {}, ETA {}  {}", done_rows_ + 1,
                                    total_rows_, rate, cli::format_duration(elapsed), eta(), what));
  std::fprintf(stderr, "\r\033[K%s", line.c_str());
  std::fflush(stderr);
  drawn_ = true;
}

void Progress::finish(double flops, const std::string& what, const std::string& summary) {
  ++done_rows_;
  done_work_ += weight(flops);
  if (!enabled_ || tty_) return;
  std::fprintf(stderr, "recur_bench: [%d/%d] %s: %s (ETA %s)\n", done_rows_, total_rows_,
               what.c_str(), summary.c_str(), eta().c_str());
  std::fflush(stderr);
}

void Progress::clear() {
  if (!enabled_ || !tty_ || !drawn_) return;
  std::fprintf(stderr, "\r\033[K");
  std::fflush(stderr);
  drawn_ = false;
}

}  // namespace recur::bench
