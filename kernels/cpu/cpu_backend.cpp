// The `cpu` backend: the shared time-loop driver on the CPU executor. Host tensors are handed
// to the driver as they are (the executor's memory is host memory); the backend only allocates
// the outputs, keeps the training forward's saved region, and takes the thread pool for the
// duration of a call.
#include <mutex>

#include "kernels/backends.h"
#include "kernels/common/driver.h"
#include "kernels/cpu/blas.h"
#include "kernels/cpu/block_cache.h"
#include "kernels/cpu/cpu_executor.h"

namespace recur {
namespace {

using cpu::CpuExecutor;
using cpu::ThreadPool;

// What a training forward keeps for its backward: the driver's saved region, and what the
// backward must agree with.
class CpuSaved final : public SavedState {
 public:
  RnnSpec spec;
  DType dtype = DType::F32;
  int64_t steps = 0, batch = 0;
  uint64_t dropout_seed = 0;
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
const T* data_or_null(const Tensor& t) {
  return t.defined() ? t.data<T>() : nullptr;
}

template <class T>
std::vector<driver::DirParams<T>> dir_params(const RnnSpec& spec, const RnnParams& params) {
  std::vector<driver::DirParams<T>> out;
  for (int64_t l = 0; l < spec.num_layers; ++l) {
    for (int64_t d = 0; d < spec.directions(); ++d) {
      driver::DirParams<T> p;
      p.w_ih = params.get(ParamKind::W_ih, l, d).data<T>();
      p.w_hh = params.get(ParamKind::W_hh, l, d).data<T>();
      if (spec.bias) {
        p.b_ih = params.get(ParamKind::b_ih, l, d).data<T>();
        p.b_hh = params.get(ParamKind::b_hh, l, d).data<T>();
      }
      out.push_back(p);
    }
  }
  return out;
}

Shape output_shape(const RnnSpec& spec, SeqDims dims) {
  const int64_t DH = spec.directions() * spec.hidden_size;
  return spec.batch_first ? Shape{dims.B, dims.T, DH} : Shape{dims.T, dims.B, DH};
}

Shape state_shape(const RnnSpec& spec, SeqDims dims) {
  return {spec.num_layers * spec.directions(), dims.B, spec.hidden_size};
}

template <class T>
RnnOutputs forward_typed(const RnnSpec& spec, const RnnParams& params, const RnnInputs& in,
                         const ForwardOptions& options, SeqDims dims) {
  const DType dtype = dtype_of<T>();
  RnnOutputs out;
  out.output = Tensor::empty(output_shape(spec, dims), dtype);
  out.h_n = Tensor::empty(state_shape(spec, dims), dtype);
  if (spec.has_cell_state()) out.c_n = Tensor::empty(state_shape(spec, dims), dtype);

  driver::ForwardArgs<T> a;
  a.spec = spec;
  a.steps = dims.T;
  a.batch = dims.B;
  a.training = options.training;
  a.dropout_seed = options.dropout_seed;
  a.params = dir_params<T>(spec, params);
  a.input = in.input.data<T>();
  a.h0 = data_or_null<T>(in.h0);
  a.c0 = data_or_null<T>(in.c0);
  a.output = out.output.data<T>();
  a.h_n = out.h_n.data<T>();
  a.c_n = spec.has_cell_state() ? out.c_n.data<T>() : nullptr;

  std::shared_ptr<CpuSaved> saved;
  if (options.training) {
    saved = std::make_shared<CpuSaved>();
    saved->spec = spec;
    saved->dtype = dtype;
    saved->steps = dims.T;
    saved->batch = dims.B;
    saved->dropout_seed = options.dropout_seed;
    // From the block cache (block_cache.h): a training loop gets the same region back.
    const int64_t n = driver::saved_elems(spec, dims.T, dims.B);
    saved->region = Tensor::from_storage({n}, dtype, Device::CPU,
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
  const DType dtype = dtype_of<T>();
  RnnGrads out;
  out.input = Tensor::empty(in.input.shape(), dtype);
  out.h0 = Tensor::empty(state_shape(spec, dims), dtype);
  if (spec.has_cell_state()) out.c0 = Tensor::empty(state_shape(spec, dims), dtype);
  out.params = RnnParams(spec, dtype);

  driver::BackwardArgs<T> a;
  a.spec = spec;
  a.steps = dims.T;
  a.batch = dims.B;
  a.dropout_seed = saved.dropout_seed;
  a.params = dir_params<T>(spec, params);
  a.input = in.input.data<T>();
  a.h0 = data_or_null<T>(in.h0);
  a.c0 = data_or_null<T>(in.c0);
  a.saved = saved.region.data<T>();
  a.grad_output = data_or_null<T>(grads.output);
  a.grad_h_n = data_or_null<T>(grads.h_n);
  a.grad_c_n = data_or_null<T>(grads.c_n);
  a.grad_input = out.input.data<T>();
  a.grad_h0 = out.h0.data<T>();
  a.grad_c0 = spec.has_cell_state() ? out.c0.data<T>() : nullptr;
  for (int64_t l = 0; l < spec.num_layers; ++l) {
    for (int64_t d = 0; d < spec.directions(); ++d) {
      driver::DirParamGrads<T> g;
      g.w_ih = out.params.get(ParamKind::W_ih, l, d).data<T>();
      g.w_hh = out.params.get(ParamKind::W_hh, l, d).data<T>();
      if (spec.bias) {
        g.b_ih = out.params.get(ParamKind::b_ih, l, d).data<T>();
        g.b_hh = out.params.get(ParamKind::b_hh, l, d).data<T>();
      }
      a.grads.push_back(g);
    }
  }

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
    const auto* saved = dynamic_cast<const CpuSaved*>(fwd.saved.get());
    RECUR_CHECK(saved != nullptr, "backward: the saved state does not come from the cpu backend");
    RECUR_CHECK(saved->spec == spec && saved->dtype == params.dtype() && saved->steps == dims.T &&
                    saved->batch == dims.B,
                "backward: the saved state comes from a forward with a different spec, dtype or "
                "input shape");
    if (params.dtype() == DType::F64) {
      return backward_typed<double>(spec, params, in, *saved, grads, dims);
    }
    return backward_typed<float>(spec, params, in, *saved, grads, dims);
  }
};

}  // namespace

std::unique_ptr<Backend> make_cpu_backend() {
  return std::make_unique<CpuBackend>();
}

}  // namespace recur
