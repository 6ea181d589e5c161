#include "kernels/cpu/thread_pool.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <exception>
#include <thread>

#include "recur/error.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace recur::cpu {
namespace {

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#else
  std::this_thread::yield();
#endif
}

// How long an idle worker spins before it sleeps. Long enough to bridge the gaps between the
// operations of one time loop (microseconds), short enough not to burn a core between calls.
constexpr auto kSpin = std::chrono::microseconds(300);

int default_threads() {
  if (const char* env = std::getenv("RECUR_NUM_THREADS")) {
    const int n = std::atoi(env);
    if (n >= 1) return n;
  }
  const unsigned hw = std::thread::hardware_concurrency();
  return hw == 0 ? 1 : static_cast<int>(hw);
}

}  // namespace

// One job, on the leader's stack. Each participant first claims its own part (the leader
// part 0, helper i part i + 1), so that a part keeps running on the same core from one call to
// the next (the weights it reads stay in that core's cache), then any part still unclaimed. A
// helper that took the job from its slot counts itself out in `helpers_out` once it no longer
// touches the job.
struct ThreadPool::Job {
  Fn fn = nullptr;
  void* ctx = nullptr;
  int parts = 0;
  std::atomic<bool> claimed[kMaxTeam];
  std::atomic<int> helpers_out{0};
  std::atomic<bool> failed{false};
  std::exception_ptr error;  // written once, by the thread that set `failed`

  Job(Fn f, void* c, int n) : fn(f), ctx(c), parts(n) {
    for (int i = 0; i < n; ++i) claimed[i].store(false, std::memory_order_relaxed);
  }

  bool claim(int i) {
    return !claimed[i].load(std::memory_order_relaxed) &&
           !claimed[i].exchange(true, std::memory_order_acq_rel);
  }

  void run_part(int i) {
    try {
      fn(ctx, i);
    } catch (...) {
      if (!failed.exchange(true)) error = std::current_exception();
    }
  }

  void work(int own) {
    for (int k = 0; k < parts; ++k) {
      const int i = (own + k) % parts;
      if (claim(i)) run_part(i);
    }
  }
};

struct ThreadPool::Worker {
  alignas(64) std::atomic<Job*> slot{nullptr};
  int own_part = 0;  // the part this worker claims first in the posted job
  std::atomic<bool> sleeping{false};
  std::atomic<bool> stop{false};
  std::mutex mutex;
  std::condition_variable wake;
  std::thread thread;

  void post(Job* job, int part) {
    own_part = part;
    slot.store(job, std::memory_order_seq_cst);
    // Pairs with the worker's store of `sleeping` before its last look at `slot`: either the
    // worker sees the job, or we see it asleep and wake it.
    if (sleeping.load(std::memory_order_seq_cst)) {
      std::lock_guard<std::mutex> lock(mutex);
      wake.notify_one();
    }
  }

  // Takes the job back unless the worker already took it; true if taken back.
  bool revoke(Job* job) {
    Job* expected = job;
    return slot.compare_exchange_strong(expected, nullptr, std::memory_order_acq_rel);
  }

  void loop() {
    for (;;) {
      auto start = std::chrono::steady_clock::now();
      int spins = 0;
      while (slot.load(std::memory_order_acquire) == nullptr && !stop.load()) {
        cpu_relax();
        if ((++spins & 255) == 0 && std::chrono::steady_clock::now() - start > kSpin) {
          std::unique_lock<std::mutex> lock(mutex);
          sleeping.store(true, std::memory_order_seq_cst);
          wake.wait(lock, [&] { return slot.load(std::memory_order_seq_cst) != nullptr || stop; });
          sleeping.store(false, std::memory_order_relaxed);
          start = std::chrono::steady_clock::now();
        }
      }
      if (stop.load()) return;
      Job* job = slot.exchange(nullptr, std::memory_order_acq_rel);
      if (job == nullptr) continue;  // taken back by its leader
      job->work(own_part);
      job->helpers_out.fetch_add(1, std::memory_order_release);
    }
  }
};

ThreadPool& ThreadPool::instance() {
  // Leaked on purpose: workers must outlive every static that might still use the pool.
  static ThreadPool* pool = new ThreadPool(default_threads());
  return *pool;
}

ThreadPool::ThreadPool(int threads) {
  for (int i = 1; i < threads && i < kMaxTeam; ++i) {
    workers_.push_back(std::make_unique<Worker>());
    Worker* w = workers_.back().get();
    w->thread = std::thread([w] { w->loop(); });
  }
}

ThreadPool::~ThreadPool() {
  for (auto& w : workers_) {
    {
      std::lock_guard<std::mutex> lock(w->mutex);
      w->stop.store(true);
    }
    w->wake.notify_one();
    w->thread.join();
  }
}

void ThreadPool::run_erased(const int* helpers, int n_helpers, int parts, Fn fn, void* ctx) {
  for (int i = 0; i < n_helpers; ++i) {
    RECUR_CHECK(helpers[i] >= 1 && helpers[i] < size(), "thread pool: no worker {} (size {})",
                helpers[i], size());
  }
  RECUR_CHECK(parts <= kMaxTeam, "thread pool: a job of {} parts (at most {})", parts, kMaxTeam);
  Job job(fn, ctx, parts);
  n_helpers = n_helpers < parts - 1 ? n_helpers : parts - 1;  // no helper without a part
  for (int i = 0; i < n_helpers; ++i) workers_[helpers[i] - 1]->post(&job, i + 1);
  job.work(0);
  // Every part is claimed. Take the job back from helpers that have not looked yet, then wait
  // for those that took it to finish their parts.
  int taken = 0;
  for (int i = 0; i < n_helpers; ++i) {
    if (!workers_[helpers[i] - 1]->revoke(&job)) ++taken;
  }
  int spins = 0;
  while (job.helpers_out.load(std::memory_order_acquire) != taken) {
    cpu_relax();
    if (++spins > 4096) std::this_thread::yield();
  }
  if (job.failed.load()) std::rethrow_exception(job.error);
}

}  // namespace recur::cpu
