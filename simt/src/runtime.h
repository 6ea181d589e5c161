// simt's runtime state: the emulated devices, streams and their queues of lazily run work,
// events, the device-memory registry, errors and the seeded scheduler randomness. One mutex
// guards it all; device work runs while it is held, one emulated thread at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <unordered_set>
#include <vector>

#include <cuda_runtime.h>

// The handle types of the CUDA runtime, defined by simt.
struct CUstream_st;

namespace simt::detail {

// Satisfied once `stream` has completed `seq` operations.
struct Dep {
  CUstream_st* stream = nullptr;
  uint64_t seq = 0;
};

struct Op {
  std::vector<Dep> deps;
  std::function<void()> run;
};

}  // namespace simt::detail

struct CUstream_st {
  int device = 0;
  unsigned flags = cudaStreamDefault;
  bool legacy = false;  // the legacy default stream of `device`
  bool destroyed = false;
  std::deque<simt::detail::Op> queue;
  uint64_t enqueued = 0, done = 0;
};

struct CUevent_st {
  int device = 0;
  unsigned flags = cudaEventDefault;
  bool destroyed = false;
  bool recorded = false;
  simt::detail::Dep at;  // the most recent record
  uint64_t generation = 0;
  double time_ms = 0;  // host time when the most recent record ran
};

struct CUmemPoolHandle_st {
  int device = 0;
  bool destroyed = false;
  uint64_t release_threshold = 0;
};

namespace simt::detail {

enum class MemKind { Device, Pool, PinnedHost };

struct Allocation {
  size_t bytes = 0;
  int device = 0;
  MemKind kind = MemKind::Device;
  bool counted = true;  // still counted against the device's memory
};

struct Device {
  CUstream_st* legacy = nullptr;
  CUmemPoolHandle_st* default_pool = nullptr;
  size_t used = 0;
};

struct Runtime {
  std::recursive_mutex mutex;
  uint64_t seed = 0;
  std::mt19937_64 rng;
  uint64_t launches = 0;
  bool absent = false;
  size_t memory_bytes = 0;  // per device
  std::vector<Device> devices;
  // Handles live until the process ends (work queued on a destroyed stream still runs, and
  // dependencies point at streams); `live_*` says which ones the program may still use.
  std::vector<std::unique_ptr<CUstream_st>> streams;
  std::vector<std::unique_ptr<CUevent_st>> events;
  std::vector<std::unique_ptr<CUmemPoolHandle_st>> pools;
  std::unordered_set<const void*> live;
  std::map<uintptr_t, Allocation> allocations;
  std::map<const void*, int> max_dynamic_smem;  // cudaFuncAttributeMaxDynamicSharedMemorySize
  cudaError_t sticky = cudaSuccess;
};

Runtime& runtime();  // initialised from the environment on first use (simt/README.md)
using Lock = std::lock_guard<std::recursive_mutex>;

// Per host thread, as in CUDA.
int& current_device();
cudaError_t& last_error();

// Records a failing status as the last error and returns it.
cudaError_t fail(cudaError_t status);
// The status every call returns first: no device, or the device's sticky error.
cudaError_t device_status();
// A kernel fault: the sticky error, printed with `what` and the seed.
void set_sticky(cudaError_t status, const std::string& what);

// The stream a handle names (0 and cudaStreamLegacy: the current device's legacy stream), or
// null for a handle that is not a live stream.
CUstream_st* resolve_stream(cudaStream_t handle);
// Queues `run` on `s` after `extra` and CUDA's implicit ordering (FIFO; the legacy stream
// and blocking streams); returns the op's sequence number on s.
uint64_t enqueue(CUstream_st* s, std::function<void()> run, std::vector<Dep> extra = {});
// Runs queued work, choosing among the streams whose next op is ready at random, until
// `done()` holds.
void run_until(const std::function<bool()>& done);
void run_stream(CUstream_st* s);  // until s's queue is empty
void run_all();                   // until every queue is empty
bool dep_done(const Dep& d);

// The allocation containing [p, p + bytes), with its base; null when p is not device or
// pinned memory simt handed out. *overflow: p is inside one but the range leaves it.
const Allocation* find_allocation(const void* p, size_t bytes, uintptr_t* base, bool* overflow);

cudaDeviceProp device_properties(int device);
uint64_t next_launch_seed();

}  // namespace simt::detail
