// The `cpu` backend: the shared time-loop driver on the CPU executor. Host tensors are handed
// to the driver as they are (the executor's memory is host memory); the backend only allocates
// the outputs, keeps the training forward's saved region, and takes the thread pool for the
// duration of a call.
#include <mutex>

#include "kernels/backends.h"
#include "kernels/common/driver_call.h"
#include "kernels/cpu/blas.h"
#include "kernels/cpu/block_cache.h"
#include "kernels/cpu/cpu_executor.h"

namespace recur {
namespace {

using cpu::CpuExecutor;
using cpu::ThreadPool;

// What a training forward keeps for its backward: the driver's saved region.
class CpuSaved final : public driver::SavedCall {
 public:
  using SavedCall::SavedCall;
  Tensor region;  // driver::saved_elems elements of dtype
};

// Everything a driver call on the CPU needs for its duration: the pool (when no other call
// holds it; otherwise this call runs on its own thread alone) and single-threaded OpenBLAS.
class CallContext {
 public:
  CallContext() : pool_(ThreadPool::instance()), lock_(pool_.owner(), std::try_to_lock) {}
  cpu::Team team() const {
    return lock_.owns_lock() ? cpu::Team{0, pool_.size()} : cpu::Team{0, 1};
  }
  ThreadPool& pool() { return pool_; }

 private:
  ThreadPool& pool_;
  std::unique_lock<std::mutex> lock_;
  cpu::BlasSingleThreaded blas_;
};

template <class T>
RnnOutputs forward_typed(const RnnSpec& spec, const RnnParams& params, const RnnInputs& in,
                         const ForwardOptions& options, SeqDims dims) {
  driver::HostStaging st;
  RnnOutputs out;
  driver::ForwardArgs<T> a = driver::forward_args<T>(spec, params, in, options.training,
                                                     options.dropout_seed, dims, st, &out);
  std::shared_ptr<CpuSaved> saved;
  if (options.training) {
    saved = std::make_shared<CpuSaved>(spec, dtype_of<T>(), dims, options.dropout_seed);
    // From the block cache (block_cache.h): a training loop gets the same region back.
    const int64_t n = driver::saved_elems(spec, dims.T, dims.B);
    saved->region = Tensor::from_storage({n}, dtype_of<T>(), Device::CPU,
                                         cpu::take_block(static_cast<size_t>(n) * sizeof(T)));
    a.saved = saved->region.data<T>();
  }

  CallContext call;
  CpuExecutor<T> ex(call.pool(), call.team());
  driver::forward(ex, a);
  out.saved = std::move(saved);
  return out;
}

template <class T>
RnnGrads backward_typed(const RnnSpec& spec, const RnnParams& params, const RnnInputs& in,
                        const CpuSaved& saved, const RnnGradOutputs& grads, SeqDims dims) {
  driver::HostStaging st;
  RnnGrads out;
  driver::BackwardArgs<T> a =
      driver::backward_args<T>(spec, params, in, saved.dropout_seed, grads, dims, st, &out);
  a.saved = saved.region.data<T>();

  CallContext call;
  CpuExecutor<T> ex(call.pool(), call.team());
  driver::backward(ex, a);
  return out;
}

class CpuBackend final : public Backend {
 public:
  std::string name() const override { return "cpu"; }

  RnnOutputs forward(const RnnSpec& spec, const RnnParams& params, const RnnInputs& in,
                     const ForwardOptions& options) override {
    const SeqDims dims = check_forward_args(spec, params, in);
    if (params.dtype() == DType::F64) return forward_typed<double>(spec, params, in, options, dims);
    return forward_typed<float>(spec, params, in, options, dims);
  }

  RnnGrads backward(const RnnSpec& spec, const RnnParams& params, const RnnInputs& in,
                    const RnnOutputs& fwd, const RnnGradOutputs& grads) override {
    check_backward_args(spec, params, in, fwd, grads);
    const SeqDims dims = check_forward_args(spec, params, in);
    const auto& saved =
        driver::saved_for_backward<CpuSaved>(fwd, spec, params.dtype(), dims, "cpu");
    if (params.dtype() == DType::F64)
      return backward_typed<double>(spec, params, in, saved, grads, dims);
    return backward_typed<float>(spec, params, in, saved, grads, dims);
  }
};

}  // namespace

std::unique_ptr<Backend> make_cpu_backend() {
  return std::make_unique<CpuBackend>();
}

}  // namespace recur
