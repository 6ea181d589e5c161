// The device and error part of the CUDA runtime API: device count and selection, an H100
// SXM's properties and attributes, the last and sticky errors, error names, versions.
#include <cstdio>
#include <cstring>

#include "runtime.h"

using namespace simt::detail;

namespace simt::detail {

// An H100 SXM5 (compute capability 9.0) as cudaGetDeviceProperties reports it.
cudaDeviceProp device_properties(int device) {
  const Runtime& rt = runtime();
  cudaDeviceProp p;
  std::memset(&p, 0, sizeof(p));
  std::snprintf(p.name, sizeof(p.name), "simt: emulated NVIDIA H100 80GB HBM3 (device %d)", device);
  p.totalGlobalMem = rt.memory_bytes;
  p.sharedMemPerBlock = 48 * 1024;
  p.regsPerBlock = 65536;
  p.warpSize = 32;
  p.memPitch = 2147483647;
  p.maxThreadsPerBlock = 1024;
  p.maxThreadsDim[0] = 1024, p.maxThreadsDim[1] = 1024, p.maxThreadsDim[2] = 64;
  p.maxGridSize[0] = 2147483647, p.maxGridSize[1] = 65535, p.maxGridSize[2] = 65535;
  p.totalConstMem = 65536;
  p.major = 9;
  p.minor = 0;
  p.textureAlignment = 512;
  p.multiProcessorCount = 132;
  p.integrated = 0;
  p.canMapHostMemory = 1;
  p.concurrentKernels = 1;
  p.pciBusID = device + 1;
  p.asyncEngineCount = 3;
  p.unifiedAddressing = 1;
  p.l2CacheSize = 50 * 1024 * 1024;
  p.maxThreadsPerMultiProcessor = 2048;
  p.streamPrioritiesSupported = 1;
  p.globalL1CacheSupported = 1;
  p.localL1CacheSupported = 1;
  p.sharedMemPerMultiprocessor = 228 * 1024;
  p.regsPerMultiprocessor = 65536;
  p.managedMemory = 1;
  p.isMultiGpuBoard = 0;
  p.concurrentManagedAccess = 1;
  p.cooperativeLaunch = 1;
  p.sharedMemPerBlockOptin = 227 * 1024;
  p.maxBlocksPerMultiProcessor = 32;
  p.reservedSharedMemPerBlock = 1024;
  p.memoryPoolsSupported = 1;
  p.memoryBusWidth = 5120;
  return p;
}

}  // namespace simt::detail

extern "C" {

cudaError_t cudaGetDeviceCount(int* count) {
  Lock lock(runtime().mutex);
  if (!count) return fail(cudaErrorInvalidValue);
  if (runtime().absent) return fail(cudaErrorNoDevice);  // the count stays unwritten
  *count = static_cast<int>(runtime().devices.size());
  return cudaSuccess;
}

cudaError_t cudaGetDevice(int* device) {
  Lock lock(runtime().mutex);
  if (!device) return fail(cudaErrorInvalidValue);
  if (runtime().absent) return fail(cudaErrorNoDevice);
  *device = current_device();
  return cudaSuccess;
}

cudaError_t cudaSetDevice(int device) {
  Lock lock(runtime().mutex);
  if (runtime().absent) return fail(cudaErrorNoDevice);
  if (device < 0 || device >= static_cast<int>(runtime().devices.size()))
    return fail(cudaErrorInvalidDevice);
  current_device() = device;
  return cudaSuccess;
}

cudaError_t cudaGetDeviceProperties(cudaDeviceProp* prop, int device) {
  Lock lock(runtime().mutex);
  if (runtime().absent) return fail(cudaErrorNoDevice);
  if (!prop) return fail(cudaErrorInvalidValue);
  if (device < 0 || device >= static_cast<int>(runtime().devices.size()))
    return fail(cudaErrorInvalidDevice);
  *prop = device_properties(device);
  return cudaSuccess;
}

cudaError_t cudaDeviceGetAttribute(int* value, cudaDeviceAttr attr, int device) {
  Lock lock(runtime().mutex);
  if (runtime().absent) return fail(cudaErrorNoDevice);
  if (!value) return fail(cudaErrorInvalidValue);
  if (device < 0 || device >= static_cast<int>(runtime().devices.size()))
    return fail(cudaErrorInvalidDevice);
  const cudaDeviceProp p = device_properties(device);
  switch (attr) {
    case cudaDevAttrMaxThreadsPerBlock:
      *value = p.maxThreadsPerBlock;
      break;
    case cudaDevAttrMaxBlockDimX:
      *value = p.maxThreadsDim[0];
      break;
    case cudaDevAttrMaxBlockDimY:
      *value = p.maxThreadsDim[1];
      break;
    case cudaDevAttrMaxBlockDimZ:
      *value = p.maxThreadsDim[2];
      break;
    case cudaDevAttrMaxGridDimX:
      *value = p.maxGridSize[0];
      break;
    case cudaDevAttrMaxGridDimY:
      *value = p.maxGridSize[1];
      break;
    case cudaDevAttrMaxGridDimZ:
      *value = p.maxGridSize[2];
      break;
    case cudaDevAttrMaxSharedMemoryPerBlock:
      *value = static_cast<int>(p.sharedMemPerBlock);
      break;
    case cudaDevAttrMaxSharedMemoryPerBlockOptin:
      *value = static_cast<int>(p.sharedMemPerBlockOptin);
      break;
    case cudaDevAttrMaxSharedMemoryPerMultiprocessor:
      *value = static_cast<int>(p.sharedMemPerMultiprocessor);
      break;
    case cudaDevAttrWarpSize:
      *value = p.warpSize;
      break;
    case cudaDevAttrMultiProcessorCount:
      *value = p.multiProcessorCount;
      break;
    case cudaDevAttrMaxThreadsPerMultiProcessor:
      *value = p.maxThreadsPerMultiProcessor;
      break;
    case cudaDevAttrMaxRegistersPerBlock:
      *value = p.regsPerBlock;
      break;
    case cudaDevAttrMaxRegistersPerMultiprocessor:
      *value = p.regsPerMultiprocessor;
      break;
    case cudaDevAttrComputeCapabilityMajor:
      *value = p.major;
      break;
    case cudaDevAttrComputeCapabilityMinor:
      *value = p.minor;
      break;
    case cudaDevAttrCooperativeLaunch:
      *value = 1;
      break;
    case cudaDevAttrMemoryPoolsSupported:
      *value = 1;
      break;
    case cudaDevAttrMaxBlocksPerMultiprocessor:
      *value = p.maxBlocksPerMultiProcessor;
      break;
    case cudaDevAttrL2CacheSize:
      *value = p.l2CacheSize;
      break;
    case cudaDevAttrUnifiedAddressing:
      *value = 1;
      break;
    case cudaDevAttrConcurrentKernels:
      *value = 1;
      break;
    default:
      return fail(cudaErrorInvalidValue);
  }
  return cudaSuccess;
}

cudaError_t cudaDeviceSynchronize(void) {
  Lock lock(runtime().mutex);
  if (const cudaError_t st = device_status()) return st;
  run_all();
  return device_status();
}

cudaError_t cudaDeviceReset(void) {
  Lock lock(runtime().mutex);
  if (runtime().absent) return fail(cudaErrorNoDevice);
  run_all();
  runtime().sticky = cudaSuccess;
  last_error() = cudaSuccess;
  return cudaSuccess;
}

cudaError_t cudaGetLastError(void) {
  Lock lock(runtime().mutex);
  if (runtime().sticky != cudaSuccess) return runtime().sticky;  // sticky: never cleared
  const cudaError_t e = last_error();
  last_error() = cudaSuccess;
  return e;
}

cudaError_t cudaPeekAtLastError(void) {
  Lock lock(runtime().mutex);
  if (runtime().sticky != cudaSuccess) return runtime().sticky;
  return last_error();
}

cudaError_t cudaDriverGetVersion(int* v) {
  if (!v) return fail(cudaErrorInvalidValue);
  *v = runtime().absent ? 0 : CUDART_VERSION;
  return cudaSuccess;
}

cudaError_t cudaRuntimeGetVersion(int* v) {
  if (!v) return fail(cudaErrorInvalidValue);
  *v = CUDART_VERSION;
  return cudaSuccess;
}

#define SIMT_ERRORS(X)                                                                           \
  X(cudaSuccess, "no error")                                                                     \
  X(cudaErrorInvalidValue, "invalid argument")                                                   \
  X(cudaErrorMemoryAllocation, "out of memory")                                                  \
  X(cudaErrorInitializationError, "initialization error")                                        \
  X(cudaErrorInvalidConfiguration, "invalid configuration argument")                             \
  X(cudaErrorInvalidPitchValue, "invalid pitch argument")                                        \
  X(cudaErrorInvalidDevicePointer, "invalid device pointer")                                     \
  X(cudaErrorInvalidMemcpyDirection, "invalid copy direction for memcpy")                        \
  X(cudaErrorInsufficientDriver, "CUDA driver version is insufficient for CUDA runtime version") \
  X(cudaErrorNoDevice, "no CUDA-capable device is detected")                                     \
  X(cudaErrorInvalidDevice, "invalid device ordinal")                                            \
  X(cudaErrorInvalidDeviceFunction, "invalid device function")                                   \
  X(cudaErrorInvalidResourceHandle, "invalid resource handle")                                   \
  X(cudaErrorNotReady, "device not ready")                                                       \
  X(cudaErrorIllegalAddress, "an illegal memory access was encountered")                         \
  X(cudaErrorLaunchOutOfResources, "too many resources requested for launch")                    \
  X(cudaErrorLaunchFailure, "unspecified launch failure")                                        \
  X(cudaErrorCooperativeLaunchTooLarge, "too many blocks in cooperative launch")                 \
  X(cudaErrorNotSupported, "operation not supported")                                            \
  X(cudaErrorUnknown, "unknown error")

const char* cudaGetErrorName(cudaError_t e) {
#define SIMT_NAME(code, text) \
  if (e == code) return #code;
  SIMT_ERRORS(SIMT_NAME)
#undef SIMT_NAME
  return "cudaErrorUnknown";
}

const char* cudaGetErrorString(cudaError_t e) {
#define SIMT_TEXT(code, text) \
  if (e == code) return text;
  SIMT_ERRORS(SIMT_TEXT)
#undef SIMT_TEXT
  return "unrecognized error code";
}

}  // extern "C"
