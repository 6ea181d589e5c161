// Device memory: every allocation its own heap block (so AddressSanitizer sees a kernel that
// indexes past it), filled with 0xFF bytes (NaN as float and double: device memory is never
// zeroed), registered so that copies and cudaPointerGetAttributes know device from host
// memory; a per-device size limit (SIMT_DEVICE_MEMORY); stream-ordered pools.
#include <cstdlib>
#include <cstring>
#include <vector>

#include "runtime.h"

using namespace simt::detail;

namespace simt::detail {

const Allocation* find_allocation(const void* p, size_t bytes, uintptr_t* base, bool* overflow) {
  const auto& allocs = runtime().allocations;
  const auto addr = reinterpret_cast<uintptr_t>(p);
  *overflow = false;
  auto it = allocs.upper_bound(addr);
  if (it == allocs.begin()) return nullptr;
  --it;
  const size_t size = it->second.bytes;
  if (addr >= it->first + (size ? size : 1)) return nullptr;
  if (addr + bytes > it->first + size) *overflow = true;
  *base = it->first;
  return &it->second;
}

}  // namespace simt::detail

namespace {

constexpr unsigned char kGarbage = 0xFF;

cudaError_t allocate(void** out, size_t bytes, MemKind kind, int device) {
  if (!out) return fail(cudaErrorInvalidValue);
  *out = nullptr;
  if (bytes == 0) return cudaSuccess;
  Runtime& rt = runtime();
  const bool counted = kind != MemKind::PinnedHost;
  Device& d = rt.devices[static_cast<size_t>(device)];
  if (counted && (bytes > rt.memory_bytes || d.used > rt.memory_bytes - bytes))
    return fail(cudaErrorMemoryAllocation);
  void* p = nullptr;
  if (posix_memalign(&p, 256, bytes) != 0) return fail(cudaErrorMemoryAllocation);
  std::memset(p, kGarbage, bytes);
  rt.allocations[reinterpret_cast<uintptr_t>(p)] = Allocation{bytes, device, kind, counted};
  if (counted) d.used += bytes;
  *out = p;
  return cudaSuccess;
}

// Frees an allocation at its base: pinned host memory or device memory, as `pinned` says.
cudaError_t release(void* p, bool pinned) {
  Runtime& rt = runtime();
  auto it = rt.allocations.find(reinterpret_cast<uintptr_t>(p));
  if (it == rt.allocations.end() || (it->second.kind == MemKind::PinnedHost) != pinned)
    return fail(cudaErrorInvalidValue);
  if (it->second.counted)
    rt.devices[static_cast<size_t>(it->second.device)].used -= it->second.bytes;
  rt.allocations.erase(it);
  std::free(p);
  return cudaSuccess;
}

enum class Space { Pageable, Pinned, Device, Bad };

Space space_of(const void* p, size_t bytes) {
  uintptr_t base = 0;
  bool overflow = false;
  const Allocation* a = find_allocation(p, bytes, &base, &overflow);
  if (!a) return Space::Pageable;
  if (overflow) return Space::Bad;
  return a->kind == MemKind::PinnedHost ? Space::Pinned : Space::Device;
}

bool is_host(Space s) {
  return s == Space::Pageable || s == Space::Pinned;
}

// A copy of `rows` rows of `width` bytes: checked against the registry for the direction
// `kind` names, then queued on `stream` with CUDA's synchronisation for that direction
// (pageable sources staged at the call, pageable destinations waited for).
cudaError_t copy_2d(void* dst, size_t dpitch, const void* src, size_t spitch, size_t width,
                    size_t rows, cudaMemcpyKind kind, cudaStream_t stream, bool async) {
  Lock lock(runtime().mutex);
  if (const cudaError_t st = device_status()) return st;
  CUstream_st* s = resolve_stream(stream);
  if (!s) return fail(cudaErrorInvalidResourceHandle);
  if (width == 0 || rows == 0) return cudaSuccess;
  if (!dst || !src) return fail(cudaErrorInvalidValue);
  const size_t dspan = (rows - 1) * dpitch + width, sspan = (rows - 1) * spitch + width;
  const Space ds = space_of(dst, dspan), ss = space_of(src, sspan);
  if (ds == Space::Bad || ss == Space::Bad) return fail(cudaErrorInvalidValue);
  const bool d_dev = ds == Space::Device, s_dev = ss == Space::Device;
  switch (kind) {
    case cudaMemcpyHostToDevice:
      if (!is_host(ss) || !d_dev) return fail(cudaErrorInvalidValue);
      break;
    case cudaMemcpyDeviceToHost:
      if (!s_dev || !is_host(ds)) return fail(cudaErrorInvalidValue);
      break;
    case cudaMemcpyDeviceToDevice:
      if (!s_dev || !d_dev) return fail(cudaErrorInvalidValue);
      break;
    case cudaMemcpyHostToHost:
      if (!is_host(ss) || !is_host(ds)) return fail(cudaErrorInvalidValue);
      break;
    case cudaMemcpyDefault:
      break;
    default:
      return fail(cudaErrorInvalidMemcpyDirection);
  }
  auto* d8 = static_cast<unsigned char*>(dst);
  const auto* s8 = static_cast<const unsigned char*>(src);
  if (ss == Space::Pageable) {
    // Staged now: the caller may reuse its buffer as soon as the call returns.
    auto staged = std::make_shared<std::vector<unsigned char>>(rows * width);
    for (size_t r = 0; r < rows; ++r)
      std::memcpy(staged->data() + r * width, s8 + r * spitch, width);
    const uint64_t seq = enqueue(s, [=] {
      for (size_t r = 0; r < rows; ++r)
        std::memcpy(d8 + r * dpitch, staged->data() + r * width, width);
    });
    if (ds == Space::Pageable) run_until([&] { return s->done >= seq; });
    return device_status();
  }
  const uint64_t seq = enqueue(s, [=] {
    for (size_t r = 0; r < rows; ++r) std::memcpy(d8 + r * dpitch, s8 + r * spitch, width);
  });
  // A pageable destination is written before the call returns; a synchronous copy to or
  // from pinned memory completes before it returns; device-to-device never blocks the host.
  if (ds == Space::Pageable || (!async && !(s_dev && d_dev)))
    run_until([&] { return s->done >= seq; });
  return device_status();
}

cudaError_t check_pitch(size_t dpitch, size_t spitch, size_t width) {
  const size_t limit = 2147483647;  // cudaDeviceProp::memPitch
  if (width > dpitch || width > spitch || dpitch > limit || spitch > limit)
    return fail(cudaErrorInvalidPitchValue);
  return cudaSuccess;
}

cudaError_t memset_impl(void* dst, int value, size_t bytes, cudaStream_t stream) {
  Lock lock(runtime().mutex);
  if (const cudaError_t st = device_status()) return st;
  CUstream_st* s = resolve_stream(stream);
  if (!s) return fail(cudaErrorInvalidResourceHandle);
  if (bytes == 0) return cudaSuccess;
  if (space_of(dst, bytes) != Space::Device) return fail(cudaErrorInvalidValue);
  enqueue(s, [=] { std::memset(dst, value, bytes); });
  return cudaSuccess;
}

// Stream-ordered work must be queued on a stream of the current device.
bool on_current_device(const CUstream_st* s) {
  return s->device == current_device();
}

}  // namespace

extern "C" {

cudaError_t cudaMalloc(void** p, size_t bytes) {
  Lock lock(runtime().mutex);
  if (const cudaError_t st = device_status()) return st;
  return allocate(p, bytes, MemKind::Device, current_device());
}

cudaError_t cudaFree(void* p) {
  Lock lock(runtime().mutex);
  if (!p) return cudaSuccess;
  if (const cudaError_t st = device_status()) return st;
  run_all();  // cudaFree synchronises the device
  return release(p, false);
}

cudaError_t cudaMallocHost(void** p, size_t bytes) {
  Lock lock(runtime().mutex);
  if (const cudaError_t st = device_status()) return st;
  return allocate(p, bytes, MemKind::PinnedHost, current_device());
}

cudaError_t cudaHostAlloc(void** p, size_t bytes, unsigned int) {
  return cudaMallocHost(p, bytes);
}

cudaError_t cudaFreeHost(void* p) {
  Lock lock(runtime().mutex);
  if (!p) return cudaSuccess;
  if (const cudaError_t st = device_status()) return st;
  run_all();
  return release(p, true);
}

cudaError_t cudaMemGetInfo(size_t* free_bytes, size_t* total) {
  Lock lock(runtime().mutex);
  if (const cudaError_t st = device_status()) return st;
  if (!free_bytes || !total) return fail(cudaErrorInvalidValue);
  const Runtime& rt = runtime();
  *total = rt.memory_bytes;
  *free_bytes = rt.memory_bytes - rt.devices[static_cast<size_t>(current_device())].used;
  return cudaSuccess;
}

cudaError_t cudaPointerGetAttributes(cudaPointerAttributes* attr, const void* p) {
  Lock lock(runtime().mutex);
  if (const cudaError_t st = device_status()) return st;
  if (!attr) return fail(cudaErrorInvalidValue);
  std::memset(attr, 0, sizeof(*attr));
  uintptr_t base = 0;
  bool overflow = false;
  const Allocation* a = find_allocation(p, 1, &base, &overflow);
  if (!a) {
    attr->type = cudaMemoryTypeUnregistered;
    attr->device = -2;
    attr->hostPointer = const_cast<void*>(p);
    return cudaSuccess;
  }
  attr->device = a->device;
  if (a->kind == MemKind::PinnedHost) {
    attr->type = cudaMemoryTypeHost;
    attr->hostPointer = attr->devicePointer = const_cast<void*>(p);
  } else {
    attr->type = cudaMemoryTypeDevice;
    attr->devicePointer = const_cast<void*>(p);
  }
  return cudaSuccess;
}

cudaError_t cudaMemcpy(void* dst, const void* src, size_t bytes, cudaMemcpyKind kind) {
  return copy_2d(dst, bytes, src, bytes, bytes, 1, kind, nullptr, false);
}

cudaError_t cudaMemcpyAsync(void* dst, const void* src, size_t bytes, cudaMemcpyKind kind,
                            cudaStream_t stream) {
  return copy_2d(dst, bytes, src, bytes, bytes, 1, kind, stream, true);
}

cudaError_t cudaMemcpy2D(void* dst, size_t dpitch, const void* src, size_t spitch, size_t width,
                         size_t height, cudaMemcpyKind kind) {
  if (const cudaError_t st = check_pitch(dpitch, spitch, width)) return st;
  return copy_2d(dst, dpitch, src, spitch, width, height, kind, nullptr, false);
}

cudaError_t cudaMemcpy2DAsync(void* dst, size_t dpitch, const void* src, size_t spitch,
                              size_t width, size_t height, cudaMemcpyKind kind,
                              cudaStream_t stream) {
  if (const cudaError_t st = check_pitch(dpitch, spitch, width)) return st;
  return copy_2d(dst, dpitch, src, spitch, width, height, kind, stream, true);
}

cudaError_t cudaMemset(void* dst, int value, size_t bytes) {
  return memset_impl(dst, value, bytes, nullptr);
}

cudaError_t cudaMemsetAsync(void* dst, int value, size_t bytes, cudaStream_t stream) {
  return memset_impl(dst, value, bytes, stream);
}

cudaError_t cudaMemPoolCreate(cudaMemPool_t* pool, const cudaMemPoolProps* props) {
  Lock lock(runtime().mutex);
  if (const cudaError_t st = device_status()) return st;
  Runtime& rt = runtime();
  if (!pool || !props || props->allocType != cudaMemAllocationTypePinned ||
      props->location.type != cudaMemLocationTypeDevice || props->location.id < 0 ||
      props->location.id >= static_cast<int>(rt.devices.size()))
    return fail(cudaErrorInvalidValue);
  rt.pools.push_back(std::make_unique<CUmemPoolHandle_st>());
  rt.pools.back()->device = props->location.id;
  rt.live.insert(rt.pools.back().get());
  *pool = rt.pools.back().get();
  return cudaSuccess;
}

cudaError_t cudaMemPoolDestroy(cudaMemPool_t pool) {
  Lock lock(runtime().mutex);
  Runtime& rt = runtime();
  if (!pool || !rt.live.count(pool)) return fail(cudaErrorInvalidValue);
  rt.live.erase(pool);
  pool->destroyed = true;
  return cudaSuccess;
}

cudaError_t cudaMemPoolSetAttribute(cudaMemPool_t pool, cudaMemPoolAttr attr, void* value) {
  Lock lock(runtime().mutex);
  if (!pool || !runtime().live.count(pool) || !value) return fail(cudaErrorInvalidValue);
  if (attr != cudaMemPoolAttrReleaseThreshold) return cudaSuccess;  // accepted, no effect
  pool->release_threshold = *static_cast<uint64_t*>(value);
  return cudaSuccess;
}

cudaError_t cudaDeviceGetDefaultMemPool(cudaMemPool_t* pool, int device) {
  Lock lock(runtime().mutex);
  if (const cudaError_t st = device_status()) return st;
  if (!pool) return fail(cudaErrorInvalidValue);
  if (device < 0 || device >= static_cast<int>(runtime().devices.size()))
    return fail(cudaErrorInvalidDevice);
  *pool = runtime().devices[static_cast<size_t>(device)].default_pool;
  return cudaSuccess;
}

// Allocates at once (the memory is the caller's from this point of the stream on). The bytes
// stop counting against the device when cudaFreeAsync is called, as a pool reuses memory
// freed earlier in stream order; the heap block itself is freed when the free runs.
cudaError_t cudaMallocFromPoolAsync(void** p, size_t bytes, cudaMemPool_t pool,
                                    cudaStream_t stream) {
  Lock lock(runtime().mutex);
  if (const cudaError_t st = device_status()) return st;
  CUstream_st* s = resolve_stream(stream);
  if (!s || !on_current_device(s)) return fail(cudaErrorInvalidResourceHandle);
  if (!pool || !runtime().live.count(pool)) return fail(cudaErrorInvalidValue);
  const cudaError_t st = allocate(p, bytes, MemKind::Pool, pool->device);
  if (st == cudaSuccess && *p) enqueue(s, [] {});  // the allocation's place in stream order
  return st;
}

cudaError_t cudaMallocAsync(void** p, size_t bytes, cudaStream_t stream) {
  cudaMemPool_t pool = nullptr;
  {
    Lock lock(runtime().mutex);
    if (const cudaError_t st = device_status()) return st;
    pool = runtime().devices[static_cast<size_t>(current_device())].default_pool;
  }
  return cudaMallocFromPoolAsync(p, bytes, pool, stream);
}

cudaError_t cudaFreeAsync(void* p, cudaStream_t stream) {
  Lock lock(runtime().mutex);
  if (const cudaError_t st = device_status()) return st;
  CUstream_st* s = resolve_stream(stream);
  if (!s || !on_current_device(s)) return fail(cudaErrorInvalidResourceHandle);
  if (!p) return cudaSuccess;
  Runtime& rt = runtime();
  auto it = rt.allocations.find(reinterpret_cast<uintptr_t>(p));
  // Not device memory, or a free already queued (device memory is counted until then).
  if (it == rt.allocations.end() || it->second.kind == MemKind::PinnedHost || !it->second.counted)
    return fail(cudaErrorInvalidValue);
  rt.devices[static_cast<size_t>(it->second.device)].used -= it->second.bytes;
  it->second.counted = false;
  enqueue(s, [p] { (void)release(p, false); });
  return cudaSuccess;
}

}  // extern "C"
