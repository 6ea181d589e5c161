// The cuDNN comparison backend ("cudnn"): recur's Backend interface over the cuDNN v9 RNN API
// (cudnnRNNForward, cudnnRNNBackwardData_v8, cudnnRNNBackwardWeights_v8). Free of CUDA and cuDNN
// headers, so that benchmarks and tests can choose the algorithm without them.
//
// What a caller should know:
// - Tensors may live on the host or on the device (Device::CUDA, e.g. from
//   kernels/cuda/device_memory.h's to_device). Host tensors are copied to the device for the call.
//   Every returned tensor (outputs, and in backward all gradients, parameter gradients included)
//   lives where `in.input` lives: device inputs give device results and no copies, which is how
//   the benchmarks time cuDNN. All parameters must live on one side.
// - Everything runs on the legacy default CUDA stream; results on the device are ready for any
//   later work on that stream. Host results are returned after a synchronous copy.
// - The weights are re-packed from the PyTorch-layout parameters into cuDNN's weight space on
//   every call (one host-to-device copy for host parameters, one gather kernel for device
//   parameters), so parameters changed in place between calls are always seen; nothing is cached
//   by pointer. Descriptors, sizes and buffers are cached per shape (T, B, network, mode).
// - Math: float uses CUDNN_FMA_MATH (exact FP32, no tensor cores) unless allow_tf32; in cuDNN 8+
//   CUDNN_DEFAULT_MATH lets FP32 GEMMs use TF32 tensor cores on Ampere and newer, so it is what
//   allow_tf32 selects. double uses CUDNN_DEFAULT_MATH with double compute precision (TF32 does
//   not apply to double).
// - Dropout (spec.dropout > 0, training only) uses cuDNN's own generator, re-seeded from
//   ForwardOptions::dropout_seed on every training call: the same seed gives the same masks within
//   cuDNN, but they are not recur's masks (recur::dropout_keep), so results are statistically
//   equivalent to the other backends', not equal. Compare backends with dropout 0.
// - Not thread-safe: one backend object serves one thread at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "recur/backend.h"

namespace recur {

// cuDNN's recurrence algorithms (cudnnRNNAlgo_t). The persistent ones keep the recurrent weights
// in registers or shared memory across steps; cuDNN supports them only for some shapes and GPUs.
enum class CudnnAlgo : uint8_t { Standard, PersistStatic, PersistStaticSmallH, PersistDynamic };

// "standard", "persist-static", "persist-static-small-h", "persist-dynamic".
const char* cudnn_algo_name(CudnnAlgo algo);

struct CudnnOptions {
  CudnnAlgo algo = CudnnAlgo::Standard;
  // Let FP32 GEMMs use TF32 tensor cores (about 1e-3 relative error). Off: exact FP32.
  bool allow_tf32 = false;
};

class CudnnBackend : public Backend {
 public:
  virtual const CudnnOptions& options() const = 0;
  // Where cuDNN reported a requested persistent algorithm as not supported for a shape
  // (CUDNN_STATUS_NOT_SUPPORTED), the backend runs that shape with the standard algorithm and
  // records one line here (also printed once to stderr). Empty when nothing fell back.
  virtual std::vector<std::string> notes() const = 0;
};

// Throws recur::Error ("cudnn backend: no usable CUDA device (...)") when no GPU can be used, or
// a cuDNN error when the library cannot start. make_cudnn_backend() (kernels/backends.h, the
// registry's "cudnn") is the standard algorithm with exact FP32.
std::unique_ptr<CudnnBackend> make_cudnn_backend(const CudnnOptions& options);

}  // namespace recur
