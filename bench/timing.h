// Timing by medians over repeats after warm-up (DESIGN.md "Performance method"). The clock is
// the caller's: the CPU path times a call with std::chrono::steady_clock, the GPU path with
// CUDA events; both hand `measure` a function that makes one call and returns its seconds.
#pragma once

#include <functional>

namespace recur::bench {

struct TimingOptions {
  int warmup = 1;           // untimed calls first (allocator, caches, lazy handles)
  int repeats = 5;          // at least this many timed calls ...
  double min_time_s = 0.2;  // ... and at least this much timed time in all
  int max_calls = 10000;    // a cap for tiny calls: stop here even short of min_time_s
};

struct Timing {
  double median_s = 0;
  double min_s = 0;
  double max_s = 0;
  int calls = 0;  // timed calls (warm-up excluded)
};

// Runs `one_call` options.warmup times untimed, then until both `repeats` calls and
// `min_time_s` seconds are reached (or `max_calls`), and returns the statistics of the timed
// calls. Exceptions from `one_call` propagate.
Timing measure(const std::function<double()>& one_call, const TimingOptions& options);

// Seconds on std::chrono::steady_clock since an arbitrary epoch.
double now_s();

}  // namespace recur::bench
