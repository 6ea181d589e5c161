#include "kernels/cpu/thread_pool.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
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

// One worker thread and its job slot. `posted` counts jobs handed to it, `finished` the jobs
// it completed; a job is (fn, ctx, index).
struct ThreadPool::Worker {
  alignas(64) std::atomic<uint64_t> posted{0};
  alignas(64) std::atomic<uint64_t> finished{0};
  std::atomic<bool> sleeping{false};
  std::atomic<bool> stop{false};
  Fn fn = nullptr;
  void* ctx = nullptr;
  int index = 0;
  std::exception_ptr error;
  std::mutex mutex;
  std::condition_variable wake;
  std::thread thread;

  void post(Fn f, void* c, int i) {
    fn = f;
    ctx = c;
    index = i;
    error = nullptr;
    posted.fetch_add(1, std::memory_order_seq_cst);
    // Pairs with the worker's store of `sleeping` before its last look at `posted`: either
    // the worker sees the new job, or we see it asleep and wake it.
    if (sleeping.load(std::memory_order_seq_cst)) {
      std::lock_guard<std::mutex> lock(mutex);
      wake.notify_one();
    }
  }

  void wait_done() {
    const uint64_t target = posted.load(std::memory_order_relaxed);
    int spins = 0;
    while (finished.load(std::memory_order_acquire) != target) {
      cpu_relax();
      if (++spins > 4096) std::this_thread::yield();
    }
  }

  void loop() {
    uint64_t seen = 0;
    for (;;) {
      auto start = std::chrono::steady_clock::now();
      int spins = 0;
      while (posted.load(std::memory_order_acquire) == seen && !stop.load()) {
        cpu_relax();
        if ((++spins & 255) == 0 && std::chrono::steady_clock::now() - start > kSpin) {
          std::unique_lock<std::mutex> lock(mutex);
          sleeping.store(true, std::memory_order_seq_cst);
          wake.wait(lock, [&] { return posted.load(std::memory_order_seq_cst) != seen || stop; });
          sleeping.store(false, std::memory_order_relaxed);
          start = std::chrono::steady_clock::now();
        }
      }
      if (stop.load()) return;
      seen = posted.load(std::memory_order_acquire);
      try {
        fn(ctx, index);
      } catch (...) {
        error = std::current_exception();
      }
      finished.store(seen, std::memory_order_release);
    }
  }
};

ThreadPool& ThreadPool::instance() {
  // Leaked on purpose: workers must outlive every static that might still use the pool.
  static ThreadPool* pool = new ThreadPool(default_threads());
  return *pool;
}

ThreadPool::ThreadPool(int threads) {
  for (int i = 1; i < threads; ++i) {
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

void ThreadPool::run_erased(const int* threads, int n, Fn fn, void* ctx) {
  RECUR_CHECK(n <= kMaxTeam, "thread pool: a team of {} threads (at most {})", n, kMaxTeam);
  for (int i = 1; i < n; ++i) {
    RECUR_CHECK(threads[i] >= 1 && threads[i] < size(), "thread pool: no thread {} (size {})",
                threads[i], size());
  }
  for (int i = 1; i < n; ++i) workers_[threads[i] - 1]->post(fn, ctx, i);
  std::exception_ptr error;
  try {
    fn(ctx, 0);
  } catch (...) {
    error = std::current_exception();
  }
  for (int i = 1; i < n; ++i) {
    Worker& w = *workers_[threads[i] - 1];
    w.wait_done();
    if (!error && w.error) error = w.error;
  }
  if (error) std::rethrow_exception(error);
}

}  // namespace recur::cpu
