// The `cpu` backend: the shared time-loop driver on the CPU executor, through the forward and
// backward written once in driver_backend.h. Host tensors are handed to the driver as they are
// (the executor's memory is host memory); the backend's part is its Call: the saved region of a
// training forward, and the thread pool for the duration of a call.
#include <mutex>

#include "kernels/backends.h"
#include "kernels/common/driver_backend.h"
#include "kernels/cpu/blas.h"
#include "kernels/cpu/block_cache.h"
#include "kernels/cpu/cpu_executor.h"

namespace recur {
namespace {

using cpu::CpuExecutor;
using cpu::ThreadPool;

// What a training forward keeps for its backward: the driver's saved region, a host tensor.
using CpuSaved = driver::SavedRegion<Tensor>;

// Everything a driver call on the CPU needs for its duration (driver_backend.h's Call): host
// staging, the pool (when no other call holds it; otherwise this call runs on its own thread
// alone) and single-threaded OpenBLAS.
class CpuCall {
 public:
  using Saved = CpuSaved;

  CpuCall() : pool_(ThreadPool::instance()), lock_(pool_.owner(), std::try_to_lock) {}
  driver::HostStaging& staging() { return staging_; }
  // From the block cache (block_cache.h): a training loop gets the same region back.
  template <class T>
  T* allocate_saved(CpuSaved& saved, int64_t elems) {
    saved.region = Tensor::from_storage({elems}, dtype_of<T>(), Device::CPU,
                                        cpu::take_block(static_cast<size_t>(elems) * sizeof(T)));
    return saved.region.data<T>();
  }
  template <class T>
  const T* saved_data(const CpuSaved& saved) {
    return saved.region.data<T>();
  }
  template <class T>
  CpuExecutor<T> executor() {
    return CpuExecutor<T>(pool_, lock_.owns_lock() ? cpu::Team{0, pool_.size()} : cpu::Team{0, 1});
  }
  void finish() {}

 private:
  driver::HostStaging staging_;
  ThreadPool& pool_;
  std::unique_lock<std::mutex> lock_;
  cpu::BlasSingleThreaded blas_;
};

class CpuBackend final : public Backend {
 public:
  std::string name() const override { return "cpu"; }

  RnnOutputs forward(const RnnSpec& spec, const RnnParams& params, const RnnInputs& in,
                     const ForwardOptions& options) override {
    const SeqDims dims = check_forward_args(spec, params, in);
    return driver::run_forward(spec, params, in, options, dims, [] { return CpuCall(); });
  }

  RnnGrads backward(const RnnSpec& spec, const RnnParams& params, const RnnInputs& in,
                    const RnnOutputs& fwd, const RnnGradOutputs& grads) override {
    check_backward_args(spec, params, in, fwd, grads);
    const SeqDims dims = check_forward_args(spec, params, in);
    const auto& saved =
        driver::saved_for_backward<CpuSaved>(fwd, spec, params.dtype(), dims, "cpu");
    return driver::run_backward(spec, params, in, saved, grads, dims, [] { return CpuCall(); });
  }
};

}  // namespace

std::unique_ptr<Backend> make_cpu_backend() {
  return std::make_unique<CpuBackend>();
}

}  // namespace recur
