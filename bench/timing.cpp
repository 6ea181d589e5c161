#include "timing.h"

#include <algorithm>
#include <chrono>
#include <vector>

#include "recur/error.h"

namespace recur::bench {

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

Timing measure(const std::function<double()>& one_call, const TimingOptions& options) {
  RECUR_CHECK(options.repeats >= 1, "--repeats must be at least 1, got {}", options.repeats);
  RECUR_CHECK(options.warmup >= 0, "--warmup must not be negative, got {}", options.warmup);
  RECUR_CHECK(options.min_time_s >= 0, "--min-time must not be negative, got {}",
              options.min_time_s);
  for (int i = 0; i < options.warmup; ++i) one_call();

  std::vector<double> times;
  double total = 0;
  const int cap = std::max(options.max_calls, options.repeats);
  while (static_cast<int>(times.size()) < options.repeats ||
         (total < options.min_time_s && static_cast<int>(times.size()) < cap)) {
    const double t = one_call();
    times.push_back(t);
    total += t;
  }

  Timing r;
  r.calls = static_cast<int>(times.size());
  std::sort(times.begin(), times.end());
  const size_t n = times.size();
  r.median_s = n % 2 ? times[n / 2] : 0.5 * (times[n / 2 - 1] + times[n / 2]);
  r.min_s = times.front();
  r.max_s = times.back();
  return r;
}

}  // namespace recur::bench
