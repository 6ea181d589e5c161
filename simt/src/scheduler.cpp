#include "scheduler.h"

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <numeric>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "fiber.h"

namespace simt::detail {

thread_local ThreadIndex* current_thread = nullptr;

namespace {

enum class State { NotStarted, Runnable, Running, AtBlockBarrier, AtWarp, AtGrid, Done, Aborted };

struct Block;

struct Thread {
  ThreadIndex index{};
  Fiber fiber;
  Block* block = nullptr;
  unsigned linear = 0, lane = 0, warp = 0;
  State state = State::NotStarted;
  int sync_result = 0;
  uint64_t value = 0, result = 0;
  int src = 0;
  unsigned ballot = 0;
};

// The exchanges in progress in one warp: one per group of lanes (a mask); groups of a warp
// (tiles) may exchange independently, but two overlapping groups at once are a bug.
struct Exchange {
  unsigned mask = 0, arrived = 0;
};
struct Warp {
  std::vector<Exchange> open;
};

struct Launch {
  const LaunchRequest* request = nullptr;
  bool faulted = false;
  cudaError_t code = cudaSuccess;
  std::string what;
};

struct Block {
  Launch* launch = nullptr;
  std::vector<Thread> threads;
  std::vector<Warp> warps;
  std::vector<Thread*> runnable;
  std::vector<unsigned char> smem;
  int arrived = 0, arrived_true = 0, done = 0, at_grid = 0;
  Fiber host;
  std::mt19937_64 rng;

  // Makes this the block `id` (linear over the grid) of the launch, every thread unstarted.
  void reset(Launch* l, uint64_t id, uint64_t seed) {
    launch = l;
    const LaunchRequest& r = *l->request;
    const dim3 g = r.grid, bd = r.block;
    const uint3 bidx{static_cast<unsigned>(id % g.x), static_cast<unsigned>((id / g.x) % g.y),
                     static_cast<unsigned>(id / (uint64_t(g.x) * g.y))};
    const unsigned n = bd.x * bd.y * bd.z;
    threads.resize(n);
    warps.assign((n + 31) / 32, Warp{});
    runnable.clear();
    smem.assign(r.dynamic_smem, 0xFF);  // shared memory starts as garbage, never zeros
    arrived = arrived_true = done = at_grid = 0;
    rng.seed(seed ^ (id * 0xD1B54A32D192ED03ull));
    for (unsigned t = 0; t < n; ++t) {
      Thread& th = threads[t];
      th = Thread{};
      th.block = this;
      th.linear = t;
      th.lane = t % 32;
      th.warp = t / 32;
      th.index.thread_idx = uint3{t % bd.x, (t / bd.x) % bd.y, t / (bd.x * bd.y)};
      th.index.block_idx = bidx;
      th.index.block_dim = bd;
      th.index.grid_dim = g;
      th.index.dynamic_smem = smem.empty() ? nullptr : smem.data();
      th.index.cooperative = r.cooperative;
      runnable.push_back(&th);
    }
  }

  void release_stacks() {
    for (Thread& t : threads) release_fiber(t.fiber);
  }
};

thread_local Thread* running = nullptr;

std::string kernel_name(const LaunchRequest& r) {
  const std::string f = r.kernel_name;
  const size_t at = f.find("Params = {");
  if (at == std::string::npos) return "kernel";
  const size_t end = f.find('}', at);
  return "kernel (" + f.substr(at + 10, end - at - 10) + ")";
}

std::string where(const Thread& t) {
  const ThreadIndex& i = t.index;
  char buf[160];
  std::snprintf(buf, sizeof(buf), " in block (%u,%u,%u), thread (%u,%u,%u)", i.block_idx.x,
                i.block_idx.y, i.block_idx.z, i.thread_idx.x, i.thread_idx.y, i.thread_idx.z);
  return buf;
}

void record_fault(Launch& l, cudaError_t code, const std::string& what) {
  if (l.faulted) return;
  l.faulted = true;
  l.code = code;
  l.what = kernel_name(*l.request) + ": " + what;
}

void thread_main(void* arg) {
  auto* t = static_cast<Thread*>(arg);
  enter_fiber(t->block->host);
  t->block->launch->request->run(t->block->launch->request->closure);
  t->state = State::Done;
  ++t->block->done;
  exit_fiber(t->fiber, t->block->host);
}

// Resumes the block's runnable threads, in random order, until none is runnable.
void run_runnable(Block& b) {
  while (!b.runnable.empty() && !b.launch->faulted) {
    const size_t i = b.rng() % b.runnable.size();
    Thread* t = b.runnable[i];
    b.runnable[i] = b.runnable.back();
    b.runnable.pop_back();
    if (t->state == State::NotStarted) start_fiber(t->fiber, &thread_main, t);
    t->state = State::Running;
    running = t;
    current_thread = &t->index;
    resume_fiber(b.host, t->fiber);
    running = nullptr;
    current_thread = nullptr;
    if (t->state == State::Done) release_fiber(t->fiber);
  }
}

// Why a block's threads cannot all go on.
std::string stuck(const Block& b) {
  int at_bar = 0, at_warp = 0, at_grid = 0;
  for (const Thread& t : b.threads) {
    at_bar += t.state == State::AtBlockBarrier;
    at_warp += t.state == State::AtWarp;
    at_grid += t.state == State::AtGrid;
  }
  const int n = static_cast<int>(b.threads.size());
  const ThreadIndex& i = b.threads[0].index;
  char buf[320];
  std::snprintf(buf, sizeof(buf),
                "deadlock in block (%u,%u,%u): of its %d threads %d wait at __syncthreads, %d at a "
                "warp primitive, %d at a grid sync, %d have exited",
                i.block_idx.x, i.block_idx.y, i.block_idx.z, n, at_bar, at_warp, at_grid, b.done);
  return buf;
}

Thread& self(const char* what) {
  if (!running) {
    std::fprintf(stderr, "simt: %s called outside a kernel\n", what);
    std::abort();
  }
  return *running;
}

void wait_here(Thread& t, State s) {
  t.state = s;
  suspend_fiber(t.fiber, t.block->host);
}

// ---- cooperative launches: one host thread per block, exactly one running at a time.
struct Grid {
  std::mutex mutex;
  std::condition_variable cv;
  int baton = -1;
  bool over = false;
  std::vector<Block> blocks;
  std::vector<int> state;  // 0 running or runnable, 1 parked at the grid sync, 2 finished
  std::mt19937_64 rng;
};

void run_cooperative_block(Grid& g, Launch& l, int me) {
  std::unique_lock<std::mutex> lock(g.mutex);
  g.cv.wait(lock, [&] { return g.baton == me || g.over; });
  Block& b = g.blocks[static_cast<size_t>(me)];
  while (!g.over) {
    lock.unlock();
    run_runnable(b);
    lock.lock();
    const int n = static_cast<int>(b.threads.size());
    if (!l.faulted) {
      if (b.done == n)
        g.state[me] = 2;
      else if (b.at_grid == n)
        g.state[me] = 1;
      else
        record_fault(l, cudaErrorLaunchFailure, stuck(b));
    }
    if (l.faulted) break;
    std::vector<int> open;
    int parked = 0, finished = 0;
    for (size_t k = 0; k < g.state.size(); ++k) {
      if (g.state[k] == 0) open.push_back(static_cast<int>(k));
      parked += g.state[k] == 1;
      finished += g.state[k] == 2;
    }
    if (open.empty()) {
      if (parked == 0) break;  // every block has finished
      if (finished > 0) {
        record_fault(l, cudaErrorLaunchFailure,
                     "deadlock: " + std::to_string(parked) +
                         " blocks wait at this_grid().sync() "
                         "while " +
                         std::to_string(finished) + " have exited");
        break;
      }
      for (size_t k = 0; k < g.blocks.size(); ++k) {  // the grid barrier opens
        Block& o = g.blocks[k];
        for (Thread& t : o.threads)
          if (t.state == State::AtGrid) {
            t.state = State::Runnable;
            o.runnable.push_back(&t);
          }
        o.at_grid = 0;
        g.state[k] = 0;
        open.push_back(static_cast<int>(k));
      }
    }
    g.baton = open[g.rng() % open.size()];
    g.cv.notify_all();
    if (g.baton != me) g.cv.wait(lock, [&] { return g.baton == me || g.over; });
  }
  g.over = true;
  g.cv.notify_all();
}

cudaError_t run_cooperative(Launch& l, uint64_t seed) {
  const LaunchRequest& r = *l.request;
  const uint64_t n = uint64_t(r.grid.x) * r.grid.y * r.grid.z;
  Grid g;
  g.rng.seed(seed);
  g.blocks.resize(n);
  g.state.assign(n, 0);
  for (uint64_t id = 0; id < n; ++id) g.blocks[id].reset(&l, id, seed);
  std::vector<std::thread> hosts;
  for (uint64_t id = 0; id < n; ++id)
    hosts.emplace_back([&g, &l, id] { run_cooperative_block(g, l, static_cast<int>(id)); });
  {
    std::lock_guard<std::mutex> lock(g.mutex);
    g.baton = static_cast<int>(g.rng() % n);
  }
  g.cv.notify_all();
  for (std::thread& h : hosts) h.join();
  for (Block& b : g.blocks) b.release_stacks();
  return l.faulted ? l.code : cudaSuccess;
}

}  // namespace

int block_sync(int predicate, int mode) {
  Thread& t = self("__syncthreads");
  Block& b = *t.block;
  ++b.arrived;
  if (predicate) ++b.arrived_true;
  if (b.arrived == static_cast<int>(b.threads.size())) {
    // The barrier opens: every thread resumes, in the order the scheduler draws.
    const int n = b.arrived, k = b.arrived_true;
    const int result = mode == 1 ? k : mode == 2 ? (k == n) : mode == 3 ? (k > 0) : 0;
    for (Thread& u : b.threads)
      if (u.state == State::AtBlockBarrier || &u == &t) {
        u.sync_result = result;
        if (&u != &t) u.state = State::Runnable;
        b.runnable.push_back(&u);
      }
    b.arrived = b.arrived_true = 0;
    t.state = State::Runnable;
    suspend_fiber(t.fiber, b.host);
  } else {
    wait_here(t, State::AtBlockBarrier);
  }
  return t.sync_result;
}

uint64_t warp_exchange(unsigned mask, uint64_t value, int src_lane, unsigned* ballot) {
  Thread& t = self("a warp primitive");
  Block& b = *t.block;
  const unsigned n = static_cast<unsigned>(b.threads.size()) - t.warp * 32;
  const unsigned exists = n >= 32 ? 0xffffffffu : (1u << n) - 1;
  char buf[200];
  if (!(mask & (1u << t.lane))) {
    std::snprintf(buf, sizeof(buf),
                  "warp primitive with mask 0x%08x, which leaves out its own lane %u", mask,
                  t.lane);
    kernel_fault(cudaErrorLaunchFailure, buf);
  }
  if (mask & ~exists) {
    std::snprintf(buf, sizeof(buf),
                  "warp primitive with mask 0x%08x naming lanes warp %u does not have", mask,
                  t.warp);
    kernel_fault(cudaErrorLaunchFailure, buf);
  }
  Warp& w = b.warps[t.warp];
  Exchange* x = nullptr;
  for (Exchange& e : w.open) {
    if (e.mask == mask) {
      x = &e;
    } else if (e.mask & mask) {
      std::snprintf(buf, sizeof(buf),
                    "lanes of warp %u reached warp primitives with overlapping, different masks "
                    "(0x%08x, 0x%08x)",
                    t.warp, e.mask, mask);
      kernel_fault(cudaErrorLaunchFailure, buf);
    }
  }
  if (!x) {
    w.open.push_back(Exchange{mask, 0});
    x = &w.open.back();
  }
  t.value = value;
  t.src = src_lane;
  x->arrived |= 1u << t.lane;
  if (x->arrived == mask) {
    Thread* lanes = &b.threads[t.warp * 32];
    unsigned votes = 0;
    for (unsigned l = 0; l < 32; ++l)
      if ((mask >> l & 1u) && lanes[l].value) votes |= 1u << l;
    for (unsigned l = 0; l < 32; ++l) {
      if (!(mask >> l & 1u)) continue;
      Thread& u = lanes[l];
      const int s = u.src;
      // Reading a lane that does not take part is undefined: give a NaN/-1 pattern.
      u.result = s >= 0 && s < 32 && (mask >> s & 1u) ? lanes[s].value : ~uint64_t(0);
      u.ballot = votes;
      u.state = State::Runnable;
      b.runnable.push_back(&u);
    }
    w.open.erase(w.open.begin() + (x - w.open.data()));
    suspend_fiber(t.fiber, b.host);
  } else {
    wait_here(t, State::AtWarp);
  }
  *ballot = t.ballot;
  return t.result;
}

unsigned warp_active_mask() {
  Thread& t = self("__activemask");
  const Thread* lanes = &t.block->threads[t.warp * 32];
  const unsigned n =
      std::min<unsigned>(32, static_cast<unsigned>(t.block->threads.size()) - t.warp * 32);
  unsigned m = 0;
  for (unsigned l = 0; l < n; ++l)
    if (lanes[l].state != State::Done) m |= 1u << l;
  return m;
}

void grid_sync() {
  Thread& t = self("this_grid().sync()");
  if (!t.index.cooperative)
    kernel_fault(cudaErrorLaunchFailure,
                 "this_grid().sync() in a kernel not launched with cudaLaunchCooperativeKernel");
  ++t.block->at_grid;
  wait_here(t, State::AtGrid);
}

void kernel_fault(cudaError_t code, const char* what) {
  Thread& t = self("a device-side fault");
  record_fault(*t.block->launch, code, what + where(t));
  t.state = State::Aborted;
  suspend_fiber(t.fiber, t.block->host);  // never resumed: the launch has stopped
  std::abort();
}

cudaError_t run_launch(const LaunchRequest& request, uint64_t seed, std::string* what) {
  Launch l;
  l.request = &request;
  cudaError_t status = cudaSuccess;
  if (request.cooperative) {
    status = run_cooperative(l, seed);
  } else {
    const uint64_t n = uint64_t(request.grid.x) * request.grid.y * request.grid.z;
    // The blocks run one after the other on a host thread of the launch's own, so that its
    // static __shared__ variables (thread_local) start at zero instead of holding what an
    // earlier launch left there.
    std::thread host([&] {
      std::vector<uint64_t> order(n);
      std::iota(order.begin(), order.end(), uint64_t(0));
      std::mt19937_64 rng(seed);
      std::shuffle(order.begin(), order.end(), rng);
      Block b;
      for (uint64_t id : order) {
        b.reset(&l, id, seed);
        run_runnable(b);
        if (!l.faulted && b.done != static_cast<int>(b.threads.size()))
          record_fault(l, cudaErrorLaunchFailure, stuck(b));
        if (l.faulted) break;
      }
      b.release_stacks();
    });
    host.join();
    status = l.faulted ? l.code : cudaSuccess;
  }
  if (l.faulted) *what = l.what;
  return status;
}

}  // namespace simt::detail
