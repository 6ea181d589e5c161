// The `cuda` backend: the shared time-loop driver on the CUDA executor. The backend only
// stages tensors (call_staging.h), keeps the training forward's saved region on the device,
// and serialises calls on its context (streams, cuBLAS handles, memory pool).
#include "kernels/cuda/cuda_backend.h"

#include <mutex>

#include "kernels/backends.h"
#include "kernels/common/driver.h"
#include "kernels/cuda/call_staging.h"
#include "kernels/cuda/cuda_executor.h"
#include "kernels/cuda/footprint.h"

namespace recur {
namespace {

using cuda::CallStaging;
using cuda::CudaContext;
using cuda::CudaExecutor;
using cuda::PoolBuffer;

// What a training forward keeps for its backward: the driver's saved region (device memory),
// and what the backward must agree with.
class CudaSaved final : public SavedState {
 public:
  RnnSpec spec;
  DType dtype = DType::F32;
  int64_t steps = 0, batch = 0;
  uint64_t dropout_seed = 0;
  PoolBuffer region;  // driver::saved_elems elements of dtype
};

Shape output_shape(const RnnSpec& spec, SeqDims dims) {
  const int64_t DH = spec.directions() * spec.hidden_size;
  return spec.batch_first ? Shape{dims.B, dims.T, DH} : Shape{dims.T, dims.B, DH};
}

Shape state_shape(const RnnSpec& spec, SeqDims dims) {
  return {spec.num_layers * spec.directions(), dims.B, spec.hidden_size};
}

template <class T>
std::vector<driver::DirParams<T>> dir_params(const RnnSpec& spec, const RnnParams& params,
                                             CallStaging& st) {
  std::vector<driver::DirParams<T>> out;
  for (int64_t l = 0; l < spec.num_layers; ++l) {
    for (int64_t d = 0; d < spec.directions(); ++d) {
      driver::DirParams<T> p;
      p.w_ih = st.input<T>(params.get(ParamKind::W_ih, l, d), "weight_ih");
      p.w_hh = st.input<T>(params.get(ParamKind::W_hh, l, d), "weight_hh");
      if (spec.bias) {
        p.b_ih = st.input<T>(params.get(ParamKind::b_ih, l, d), "bias_ih");
        p.b_hh = st.input<T>(params.get(ParamKind::b_hh, l, d), "bias_hh");
      }
      out.push_back(p);
    }
  }
  return out;
}

template <class T>
RnnOutputs forward_typed(const std::shared_ptr<CudaContext>& ctx, const RnnSpec& spec,
                         const RnnParams& params, const RnnInputs& in,
                         const ForwardOptions& options, SeqDims dims) {
  CallStaging st(ctx, in.input.device() == Device::CUDA);
  driver::ForwardArgs<T> a;
  a.spec = spec;
  a.steps = dims.T;
  a.batch = dims.B;
  a.training = options.training;
  a.dropout_seed = options.dropout_seed;
  a.params = dir_params<T>(spec, params, st);
  a.input = st.input<T>(in.input, "input");
  a.h0 = st.input<T>(in.h0, "h0");
  a.c0 = st.input<T>(in.c0, "c0");

  RnnOutputs out;
  out.output = st.output<T>(output_shape(spec, dims), &a.output);
  out.h_n = st.output<T>(state_shape(spec, dims), &a.h_n);
  if (spec.has_cell_state()) out.c_n = st.output<T>(state_shape(spec, dims), &a.c_n);

  std::shared_ptr<CudaSaved> saved;
  if (options.training) {
    saved = std::make_shared<CudaSaved>();
    saved->spec = spec;
    saved->dtype = dtype_of<T>();
    saved->steps = dims.T;
    saved->batch = dims.B;
    saved->dropout_seed = options.dropout_seed;
    saved->region = PoolBuffer(ctx, driver::saved_elems(spec, dims.T, dims.B) * sizeof(T));
    a.saved = static_cast<T*>(saved->region.get());
  }

  CudaExecutor<T> ex(ctx);
  driver::forward(ex, a);
  st.finish();
  out.saved = std::move(saved);
  return out;
}

template <class T>
RnnGrads backward_typed(const std::shared_ptr<CudaContext>& ctx, const RnnSpec& spec,
                        const RnnParams& params, const RnnInputs& in, const CudaSaved& saved,
                        const RnnGradOutputs& grads, SeqDims dims) {
  CallStaging st(ctx, in.input.device() == Device::CUDA);
  driver::BackwardArgs<T> a;
  a.spec = spec;
  a.steps = dims.T;
  a.batch = dims.B;
  a.dropout_seed = saved.dropout_seed;
  a.params = dir_params<T>(spec, params, st);
  a.input = st.input<T>(in.input, "input");
  a.h0 = st.input<T>(in.h0, "h0");
  a.c0 = st.input<T>(in.c0, "c0");
  a.saved = static_cast<const T*>(saved.region.get());
  a.grad_output = st.input<T>(grads.output, "grad_output");
  a.grad_h_n = st.input<T>(grads.h_n, "grad_h_n");
  a.grad_c_n = st.input<T>(grads.c_n, "grad_c_n");

  RnnGrads out;
  out.input = st.output<T>(in.input.shape(), &a.grad_input);
  out.h0 = st.output<T>(state_shape(spec, dims), &a.grad_h0);
  if (spec.has_cell_state()) out.c0 = st.output<T>(state_shape(spec, dims), &a.grad_c0);
  // Same names, shapes and dtype as the parameters; every tensor is replaced below (a copy of
  // `params` shares its tensors until then, so nothing is allocated for it).
  out.params = params;
  for (int64_t l = 0; l < spec.num_layers; ++l) {
    for (int64_t d = 0; d < spec.directions(); ++d) {
      driver::DirParamGrads<T> g;
      auto grad = [&](ParamKind kind, T** device) {
        Tensor& t = out.params.get(kind, l, d);
        t = st.output<T>(t.shape(), device);
      };
      grad(ParamKind::W_ih, &g.w_ih);
      grad(ParamKind::W_hh, &g.w_hh);
      if (spec.bias) {
        grad(ParamKind::b_ih, &g.b_ih);
        grad(ParamKind::b_hh, &g.b_hh);
      }
      a.grads.push_back(g);
    }
  }

  CudaExecutor<T> ex(ctx);
  driver::backward(ex, a);
  st.finish();
  return out;
}

// Runs `call`; an out-of-memory error is completed with what the whole call needs.
template <class Call>
auto with_footprint(const RnnSpec& spec, SeqDims dims, DType dtype, cuda::CallKind kind,
                    Call&& call) -> decltype(call()) {
  try {
    return call();
  } catch (const cuda::OutOfDeviceMemory& e) {
    const cuda::CallFootprint f =
        cuda::call_footprint(spec, dims.T, dims.B, dtype_size(dtype), kind);
    RECUR_FAIL(
        "cuda backend: {} (this call needs about {} bytes: {} scratch, {} saved, {} for its "
        "tensors)",
        e.what(), f.total(), f.scratch, f.saved, f.tensors);
  }
}

class CudaBackend final : public Backend {
 public:
  explicit CudaBackend(const CudaOptions& options)
      : ctx_(std::make_shared<CudaContext>(options.allow_tf32)) {}

  std::string name() const override { return "cuda"; }

  RnnOutputs forward(const RnnSpec& spec, const RnnParams& params, const RnnInputs& in,
                     const ForwardOptions& options) override {
    const SeqDims dims = check_forward_args(spec, params, in);
    const auto kind =
        options.training ? cuda::CallKind::TrainingForward : cuda::CallKind::Inference;
    std::lock_guard<std::mutex> lock(mutex_);
    return with_footprint(spec, dims, params.dtype(), kind, [&] {
      return params.dtype() == DType::F32
                 ? forward_typed<float>(ctx_, spec, params, in, options, dims)
                 : forward_typed<double>(ctx_, spec, params, in, options, dims);
    });
  }

  RnnGrads backward(const RnnSpec& spec, const RnnParams& params, const RnnInputs& in,
                    const RnnOutputs& fwd, const RnnGradOutputs& grads) override {
    check_backward_args(spec, params, in, fwd, grads);
    const SeqDims dims = check_forward_args(spec, params, in);
    const auto* saved = dynamic_cast<const CudaSaved*>(fwd.saved.get());
    RECUR_CHECK(saved != nullptr,
                "cuda backend: backward needs the result of a cuda training forward");
    RECUR_CHECK(
        saved->spec == spec && saved->dtype == params.dtype() && saved->steps == dims.T &&
            saved->batch == dims.B,
        "cuda backend: backward called with a different spec, dtype or input shape than its "
        "training forward");
    std::lock_guard<std::mutex> lock(mutex_);
    return with_footprint(spec, dims, params.dtype(), cuda::CallKind::Backward, [&] {
      return params.dtype() == DType::F32
                 ? backward_typed<float>(ctx_, spec, params, in, *saved, grads, dims)
                 : backward_typed<double>(ctx_, spec, params, in, *saved, grads, dims);
    });
  }

 private:
  std::shared_ptr<CudaContext> ctx_;
  std::mutex mutex_;
};

}  // namespace

std::unique_ptr<Backend> make_cuda_backend(const CudaOptions& options) {
  std::string why;
  RECUR_CHECK(cuda_device_available(&why), "cuda backend: {}", why);
  try {
    return std::make_unique<CudaBackend>(options);
  } catch (const Error& e) {
    RECUR_FAIL("cuda backend: cannot initialise on {}: {}", why, e.what());
  }
}

std::unique_ptr<Backend> make_cuda_backend() {
  return make_cuda_backend(CudaOptions{});
}

}  // namespace recur
