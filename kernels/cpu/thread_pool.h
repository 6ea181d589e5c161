// recur's one CPU threading model: a small persistent pool, created once per process, whose
// threads spin briefly between jobs (the time loop hands out work every few microseconds) and
// then sleep. OpenBLAS is called single-threaded from inside it (see blas_threads.h), so the
// two never oversubscribe the cores.
//
// Threads are numbered 0..size()-1; thread 0 is whichever thread calls in (the caller),
// 1..size()-1 are workers. Work is given to a Team: a contiguous range of thread numbers led by
// its first thread, which must be the thread calling run(). A team of one runs inline.
#pragma once

#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <type_traits>
#include <vector>

namespace recur::cpu {

// The most threads one job uses (the pool itself may be larger).
constexpr int kMaxTeam = 256;

struct Team {
  int first = 0;  // the leader's thread number
  int size = 1;
};

class ThreadPool {
 public:
  // The process-wide pool: RECUR_NUM_THREADS threads if set, else the hardware's core count.
  static ThreadPool& instance();

  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return static_cast<int>(workers_.size()) + 1; }

  // Runs fn(i) for i in [0, team.size): i = 0 on the calling thread (the team's leader), the
  // others on the team's workers; returns when all are done. Rethrows the first exception.
  // Must not be called for overlapping teams at the same time.
  template <class F>
  void run(Team team, F&& fn) {
    if (team.size <= 1) {
      fn(0);
      return;
    }
    int threads[kMaxTeam];
    for (int i = 0; i < team.size; ++i) threads[i] = team.first + i;
    run_erased(threads, team.size, &call<std::remove_reference_t<F>>, &fn);
  }

  // Runs fn(0) on the calling thread (thread a) and fn(1) on thread b, a != b; returns when
  // both are done. This is how the two lanes of a layer start, each leading its own team.
  template <class F>
  void run_pair(int a, int b, F&& fn) {
    const int threads[2] = {a, b};
    run_erased(threads, 2, &call<std::remove_reference_t<F>>, &fn);
  }

  // The pool serves one driver call at a time: a call that cannot take it runs single-threaded
  // (e.g. when several application threads use the cpu backend at once).
  std::mutex& owner() { return owner_; }

 private:
  struct Worker;
  using Fn = void (*)(void*, int);
  template <class F>
  static void call(void* f, int i) {
    (*static_cast<F*>(f))(i);
  }
  // threads[0] is the calling thread; threads[1..n) are distinct workers.
  void run_erased(const int* threads, int n, Fn fn, void* ctx);

  std::vector<std::unique_ptr<Worker>> workers_;  // thread number i is workers_[i - 1]
  std::mutex owner_;
};

}  // namespace recur::cpu
