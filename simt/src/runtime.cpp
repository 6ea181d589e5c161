// simt's runtime core: initialisation from the environment, errors, devices, and the lazy,
// seeded execution of queued work (see runtime.h).
#include "runtime.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace simt::detail {
namespace {

uint64_t env_u64(const char* name, uint64_t fallback) {
  const char* v = std::getenv(name);
  if (!v || !*v) return fallback;
  char* end = nullptr;
  double x = std::strtod(v, &end);
  if (end && (*end == 'G' || *end == 'g')) x *= 1024.0 * 1024.0 * 1024.0;
  if (end && (*end == 'M' || *end == 'm')) x *= 1024.0 * 1024.0;
  return static_cast<uint64_t>(x);
}

CUstream_st* new_stream(Runtime& rt, int device, unsigned flags, bool legacy) {
  rt.streams.push_back(std::make_unique<CUstream_st>());
  CUstream_st* s = rt.streams.back().get();
  s->device = device;
  s->flags = flags;
  s->legacy = legacy;
  rt.live.insert(s);
  return s;
}

Runtime* make_runtime() {
  auto* rt = new Runtime;  // never destroyed: handles may be released from static destructors
  const char* seed = std::getenv("SIMT_SEED");
  rt->seed = seed && *seed ? std::strtoull(seed, nullptr, 0) : std::random_device{}();
  rt->rng.seed(rt->seed);
  const char* absent = std::getenv("SIMT_NO_DEVICE");
  rt->absent = absent && *absent && std::strcmp(absent, "0") != 0;
  rt->memory_bytes = env_u64("SIMT_DEVICE_MEMORY", uint64_t(80) << 30);
  const int count = static_cast<int>(std::max<uint64_t>(1, env_u64("SIMT_DEVICE_COUNT", 1)));
  rt->devices.resize(static_cast<size_t>(count));
  for (int d = 0; d < count; ++d) {
    rt->devices[d].legacy = new_stream(*rt, d, cudaStreamDefault, true);
    rt->pools.push_back(std::make_unique<CUmemPoolHandle_st>());
    rt->pools.back()->device = d;
    rt->devices[d].default_pool = rt->pools.back().get();
    rt->live.insert(rt->pools.back().get());
  }
  return rt;
}

}  // namespace

Runtime& runtime() {
  static Runtime* rt = make_runtime();
  return *rt;
}

int& current_device() {
  thread_local int device = 0;
  return device;
}

cudaError_t& last_error() {
  thread_local cudaError_t e = cudaSuccess;
  return e;
}

cudaError_t fail(cudaError_t status) {
  if (status != cudaSuccess) last_error() = status;
  return status;
}

cudaError_t device_status() {
  Runtime& rt = runtime();
  if (rt.absent) return fail(cudaErrorNoDevice);
  if (rt.sticky != cudaSuccess) return fail(rt.sticky);
  return cudaSuccess;
}

void set_sticky(cudaError_t status, const std::string& what) {
  Runtime& rt = runtime();
  std::fprintf(stderr,
               "simt: %s; the device now reports %s (seed %llu: SIMT_SEED=%llu repeats it)\n",
               what.c_str(), cudaGetErrorName(status), static_cast<unsigned long long>(rt.seed),
               static_cast<unsigned long long>(rt.seed));
  if (rt.sticky == cudaSuccess) rt.sticky = status;
}

uint64_t next_launch_seed() {
  Runtime& rt = runtime();
  return rt.seed * 0x9E3779B97F4A7C15ull + ++rt.launches;
}

CUstream_st* resolve_stream(cudaStream_t handle) {
  Runtime& rt = runtime();
  if (handle == nullptr || handle == cudaStreamLegacy)
    return rt.devices[static_cast<size_t>(current_device())].legacy;
  if (handle == cudaStreamPerThread) {
    // The per-thread default stream: a blocking stream of its own for each host thread.
    thread_local std::vector<CUstream_st*> per_thread;
    per_thread.resize(rt.devices.size(), nullptr);
    CUstream_st*& s = per_thread[static_cast<size_t>(current_device())];
    if (!s) s = new_stream(rt, current_device(), cudaStreamDefault, false);
    return s;
  }
  auto* s = reinterpret_cast<CUstream_st*>(handle);
  return rt.live.count(s) ? s : nullptr;
}

bool dep_done(const Dep& d) {
  return d.stream == nullptr || d.stream->done >= d.seq;
}

uint64_t enqueue(CUstream_st* s, std::function<void()> run, std::vector<Dep> extra) {
  Runtime& rt = runtime();
  // The legacy default stream waits for all work queued before on the device's blocking
  // streams, and they wait for it; non-blocking streams are ordered by nothing implicit.
  if (s->legacy) {
    for (const auto& other : rt.streams)
      if (!other->legacy && other->device == s->device && other->flags == cudaStreamDefault &&
          other->enqueued > other->done)
        extra.push_back({other.get(), other->enqueued});
  } else if (s->flags == cudaStreamDefault) {
    CUstream_st* legacy = rt.devices[static_cast<size_t>(s->device)].legacy;
    if (legacy->enqueued > legacy->done) extra.push_back({legacy, legacy->enqueued});
  }
  s->queue.push_back(Op{std::move(extra), std::move(run)});
  return ++s->enqueued;
}

void run_until(const std::function<bool()>& done) {
  Runtime& rt = runtime();
  std::vector<CUstream_st*> ready;
  while (!done()) {
    ready.clear();
    bool pending = false;
    for (const auto& s : rt.streams) {
      if (s->queue.empty()) continue;
      pending = true;
      const Op& head = s->queue.front();
      if (std::all_of(head.deps.begin(), head.deps.end(), dep_done)) ready.push_back(s.get());
    }
    if (ready.empty()) {
      std::fprintf(stderr, "simt: internal error: %s\n",
                   pending ? "queued work waits on itself" : "waiting for work never queued");
      std::abort();
    }
    CUstream_st* s = ready[rt.rng() % ready.size()];
    Op op = std::move(s->queue.front());
    s->queue.pop_front();
    if (rt.sticky == cudaSuccess) op.run();  // after a fault the device runs nothing more
    ++s->done;
  }
}

void run_stream(CUstream_st* s) {
  const uint64_t target = s->enqueued;
  run_until([&] { return s->done >= target; });
}

void run_all() {
  Runtime& rt = runtime();
  run_until([&] {
    return std::all_of(rt.streams.begin(), rt.streams.end(),
                       [](const auto& s) { return s->queue.empty(); });
  });
}

}  // namespace simt::detail
