// recur's one CPU threading model: a small persistent pool, created once per process, whose
// threads spin briefly between jobs (the time loop hands out work every few microseconds) and
// then sleep. OpenBLAS is called single-threaded from inside it (blas.h), so the two never
// oversubscribe the cores.
//
// A job is split into a fixed number of parts, usually one per thread of its team. Each thread
// claims its own part first (so a part, and the weights it reads, stays on one core from call to
// call), then any part still unclaimed. So when a helper is slow to wake (asleep, or
// descheduled on a busy machine) the leader simply does its part too: the job degrades to
// single-threaded speed instead of waiting. Which thread runs a part never changes what the
// part computes, so results do not depend on timing.
//
// Threads are numbered 0..size()-1; 0 stands for whichever thread calls in, 1..size()-1 are
// the workers. A Team is a contiguous range of thread numbers: its first is the one that leads
// (calls run), the others help.
#pragma once

#include <cstdint>
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

  // Runs fn(i) for every part i in [0, team.size), helped by the team's other threads, and
  // returns when all parts are done (each thread runs the part of its own index). Rethrows the
  // first exception a part threw. Teams used at the same time must not share helpers.
  template <class F>
  void run(Team team, F&& fn) {
    run(team, team.size, fn);
  }

  // The same with `parts` parts (>= 1, at most kMaxTeam), which may exceed the team's size:
  // then each thread, its own part done, claims whichever is left, which balances the load
  // when one core runs slower than the other.
  template <class F>
  void run(Team team, int parts, F&& fn) {
    if (team.size <= 1 || parts <= 1) {
      for (int i = 0; i < parts; ++i) fn(i);
      return;
    }
    int helpers[kMaxTeam];
    for (int i = 1; i < team.size && i < kMaxTeam; ++i) helpers[i - 1] = team.first + i;
    run_erased(helpers, team.size - 1, parts, &call<std::remove_reference_t<F>>, &fn);
  }

  // Runs fn(0) and fn(1), helped by thread `helper`: the two lanes of a layer, each of which
  // then leads its own team.
  template <class F>
  void run_pair(int helper, F&& fn) {
    run_erased(&helper, 1, 2, &call<std::remove_reference_t<F>>, &fn);
  }

  // The pool serves one driver call at a time: a call that cannot take it runs single-threaded
  // (e.g. when several application threads use the cpu backend at once).
  std::mutex& owner() { return owner_; }

 private:
  struct Job;
  struct Worker;
  using Fn = void (*)(void*, int);
  template <class F>
  static void call(void* f, int i) {
    (*static_cast<F*>(f))(i);
  }
  void run_erased(const int* helpers, int n_helpers, int parts, Fn fn, void* ctx);

  std::vector<std::unique_ptr<Worker>> workers_;  // thread number i is workers_[i - 1]
  std::mutex owner_;
};

}  // namespace recur::cpu
