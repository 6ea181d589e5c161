// Streams and events: work is queued, never run at once; it runs at the synchronising calls
// (runtime.cpp's run_until), in a seeded order that respects only what CUDA guarantees.
#include <chrono>

#include "runtime.h"

using namespace simt::detail;

namespace {

double now_ms() {
  using namespace std::chrono;
  return duration<double, std::milli>(steady_clock::now().time_since_epoch()).count();
}

CUevent_st* live_event(cudaEvent_t e) {
  return e && runtime().live.count(e) ? e : nullptr;
}

cudaError_t create_stream(cudaStream_t* out, unsigned flags) {
  Lock lock(runtime().mutex);
  if (const cudaError_t st = device_status()) return st;
  if (!out || (flags != cudaStreamDefault && flags != cudaStreamNonBlocking))
    return fail(cudaErrorInvalidValue);
  Runtime& rt = runtime();
  rt.streams.push_back(std::make_unique<CUstream_st>());
  CUstream_st* s = rt.streams.back().get();
  s->device = current_device();
  s->flags = flags;
  rt.live.insert(s);
  *out = s;
  return cudaSuccess;
}

}  // namespace

extern "C" {

cudaError_t cudaStreamCreate(cudaStream_t* s) {
  return create_stream(s, cudaStreamDefault);
}
cudaError_t cudaStreamCreateWithFlags(cudaStream_t* s, unsigned int flags) {
  return create_stream(s, flags);
}
cudaError_t cudaStreamCreateWithPriority(cudaStream_t* s, unsigned int flags, int) {
  return create_stream(s, flags);
}

cudaError_t cudaStreamDestroy(cudaStream_t handle) {
  Lock lock(runtime().mutex);
  if (runtime().absent) return fail(cudaErrorNoDevice);
  CUstream_st* s = resolve_stream(handle);
  if (!s || s->legacy || handle == cudaStreamPerThread) return fail(cudaErrorInvalidResourceHandle);
  s->destroyed = true;  // queued work still runs
  runtime().live.erase(s);
  return cudaSuccess;
}

cudaError_t cudaStreamGetFlags(cudaStream_t handle, unsigned int* flags) {
  Lock lock(runtime().mutex);
  CUstream_st* s = resolve_stream(handle);
  if (!s) return fail(cudaErrorInvalidResourceHandle);
  if (!flags) return fail(cudaErrorInvalidValue);
  *flags = s->flags;
  return cudaSuccess;
}

cudaError_t cudaStreamSynchronize(cudaStream_t handle) {
  Lock lock(runtime().mutex);
  if (const cudaError_t st = device_status()) return st;
  CUstream_st* s = resolve_stream(handle);
  if (!s) return fail(cudaErrorInvalidResourceHandle);
  run_stream(s);
  return device_status();
}

// Runs one ready op somewhere (so that polling makes progress), then answers.
cudaError_t cudaStreamQuery(cudaStream_t handle) {
  Lock lock(runtime().mutex);
  if (const cudaError_t st = device_status()) return st;
  CUstream_st* s = resolve_stream(handle);
  if (!s) return fail(cudaErrorInvalidResourceHandle);
  if (s->queue.empty()) return cudaSuccess;
  const uint64_t before = s->done;
  run_until([&] { return s->done > before; });
  if (const cudaError_t st = device_status()) return st;
  return s->queue.empty() ? cudaSuccess : cudaErrorNotReady;
}

cudaError_t cudaStreamWaitEvent(cudaStream_t handle, cudaEvent_t event, unsigned int flags) {
  Lock lock(runtime().mutex);
  if (const cudaError_t st = device_status()) return st;
  CUstream_st* s = resolve_stream(handle);
  CUevent_st* e = live_event(event);
  if (!s || !e) return fail(cudaErrorInvalidResourceHandle);
  if (flags != 0 && flags != cudaEventWaitDefault) return fail(cudaErrorInvalidValue);
  // Waits for the record most recent at this call (none: nothing to wait for).
  enqueue(
      s, [] {}, e->recorded ? std::vector<Dep>{e->at} : std::vector<Dep>{});
  return cudaSuccess;
}

cudaError_t cudaLaunchHostFunc(cudaStream_t handle, cudaHostFn_t fn, void* data) {
  Lock lock(runtime().mutex);
  if (const cudaError_t st = device_status()) return st;
  CUstream_st* s = resolve_stream(handle);
  if (!s) return fail(cudaErrorInvalidResourceHandle);
  if (!fn) return fail(cudaErrorInvalidValue);
  enqueue(s, [fn, data] { fn(data); });
  return cudaSuccess;
}

cudaError_t cudaEventCreateWithFlags(cudaEvent_t* out, unsigned int flags) {
  Lock lock(runtime().mutex);
  if (const cudaError_t st = device_status()) return st;
  const unsigned known = cudaEventBlockingSync | cudaEventDisableTiming | cudaEventInterprocess;
  if (!out || (flags & ~known)) return fail(cudaErrorInvalidValue);
  Runtime& rt = runtime();
  rt.events.push_back(std::make_unique<CUevent_st>());
  CUevent_st* e = rt.events.back().get();
  e->device = current_device();
  e->flags = flags;
  rt.live.insert(e);
  *out = e;
  return cudaSuccess;
}

cudaError_t cudaEventCreate(cudaEvent_t* out) {
  return cudaEventCreateWithFlags(out, cudaEventDefault);
}

cudaError_t cudaEventDestroy(cudaEvent_t event) {
  Lock lock(runtime().mutex);
  CUevent_st* e = live_event(event);
  if (!e) return fail(cudaErrorInvalidResourceHandle);
  e->destroyed = true;
  runtime().live.erase(e);
  return cudaSuccess;
}

cudaError_t cudaEventRecord(cudaEvent_t event, cudaStream_t handle) {
  Lock lock(runtime().mutex);
  if (const cudaError_t st = device_status()) return st;
  CUstream_st* s = resolve_stream(handle);
  CUevent_st* e = live_event(event);
  if (!s || !e || s->device != e->device) return fail(cudaErrorInvalidResourceHandle);
  const uint64_t generation = ++e->generation;
  const uint64_t seq = enqueue(s, [e, generation] {
    if (e->generation == generation) e->time_ms = now_ms();
  });
  e->recorded = true;
  e->at = Dep{s, seq};
  return cudaSuccess;
}

cudaError_t cudaEventQuery(cudaEvent_t event) {
  Lock lock(runtime().mutex);
  if (const cudaError_t st = device_status()) return st;
  CUevent_st* e = live_event(event);
  if (!e) return fail(cudaErrorInvalidResourceHandle);
  if (!e->recorded || dep_done(e->at)) return cudaSuccess;
  const uint64_t before = e->at.stream->done;
  run_until([&] { return dep_done(e->at) || e->at.stream->done > before; });
  if (const cudaError_t st = device_status()) return st;
  return dep_done(e->at) ? cudaSuccess : cudaErrorNotReady;
}

cudaError_t cudaEventSynchronize(cudaEvent_t event) {
  Lock lock(runtime().mutex);
  if (const cudaError_t st = device_status()) return st;
  CUevent_st* e = live_event(event);
  if (!e) return fail(cudaErrorInvalidResourceHandle);
  if (e->recorded) run_until([&] { return dep_done(e->at); });
  return device_status();
}

cudaError_t cudaEventElapsedTime(float* ms, cudaEvent_t start, cudaEvent_t end) {
  Lock lock(runtime().mutex);
  if (const cudaError_t st = device_status()) return st;
  CUevent_st* a = live_event(start);
  CUevent_st* b = live_event(end);
  if (!ms) return fail(cudaErrorInvalidValue);
  if (!a || !b || (a->flags & cudaEventDisableTiming) || (b->flags & cudaEventDisableTiming))
    return fail(cudaErrorInvalidResourceHandle);
  if (!a->recorded || !b->recorded) return fail(cudaErrorInvalidResourceHandle);
  if (!dep_done(a->at) || !dep_done(b->at)) return fail(cudaErrorNotReady);
  *ms = static_cast<float>(b->time_ms - a->time_ms);
  return cudaSuccess;
}

}  // extern "C"
