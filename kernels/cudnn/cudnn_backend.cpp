// The cudnn backend: argument handling, the plan cache with its fallback from persistent to
// standard algorithms, and the three cuDNN RNN calls. Descriptor setup lives in cudnn_plan.cpp,
// the PyTorch <-> weight-space map in weight_map.h.
#include "kernels/cudnn/cudnn_backend.h"

#include <algorithm>
#include <cstdio>

#include "kernels/backends.h"
#include "kernels/cuda/device_memory.h"
#include "kernels/cudnn/copy_runs.h"
#include "kernels/cudnn/cudnn_plan.h"

namespace recur {

const char* cudnn_algo_name(CudnnAlgo algo) {
  switch (algo) {
    case CudnnAlgo::Standard:
      return "standard";
    case CudnnAlgo::PersistStatic:
      return "persist-static";
    case CudnnAlgo::PersistStaticSmallH:
      return "persist-static-small-h";
    case CudnnAlgo::PersistDynamic:
      return "persist-dynamic";
  }
  return "unknown";
}

namespace cudnn {
namespace {

// Everything goes to the legacy default stream, which orders it with the synchronous copies of
// device_memory.h (cudaMemcpy) without any explicit synchronisation.
constexpr cudaStream_t kStream = nullptr;
// Plans kept per backend: a benchmark alternates inference and training plans of one or two
// shapes; more would hold weight spaces and workspaces of shapes long gone.
constexpr size_t kMaxPlans = 4;

cudnnRNNAlgo_t to_cudnn(CudnnAlgo algo) {
  switch (algo) {
    case CudnnAlgo::Standard:
      return CUDNN_RNN_ALGO_STANDARD;
    case CudnnAlgo::PersistStatic:
      return CUDNN_RNN_ALGO_PERSIST_STATIC;
    case CudnnAlgo::PersistStaticSmallH:
      return CUDNN_RNN_ALGO_PERSIST_STATIC_SMALL_H;
    case CudnnAlgo::PersistDynamic:
      return CUDNN_RNN_ALGO_PERSIST_DYNAMIC;
  }
  RECUR_FAIL("cudnn backend: unknown algorithm");
}

// What a training forward keeps for its backward: device copies of what cuDNN's backward calls
// read again, the reserve space the forward filled, and the plan (descriptors) it ran with.
struct CudnnSaved final : SavedState {
  std::shared_ptr<Plan> plan;
  std::shared_ptr<cuda::DeviceBuffer> reserve;
  Tensor x, hx, cx, y;  // device tensors; hx, cx undefined when they were zeros
  uint64_t dropout_seed = 0;
};

// Undefined stays undefined, device tensors are used as they are, host tensors are copied.
Tensor on_device(const Tensor& t) {
  if (!t.defined() || t.device() == Device::CUDA) return t;
  return cuda::to_device(t);
}

// cuDNN reads a null state pointer as zeros (hx, cx, dhy, dcy) or as "not wanted".
const void* ptr_or_null(const Tensor& t) {
  return t.defined() ? t.raw() : nullptr;
}
void* ptr_or_null(Tensor& t) {
  return t.defined() ? t.raw() : nullptr;
}

Tensor device_zeros(const Shape& shape, DType dtype) {
  Tensor t = cuda::device_empty(shape, dtype);
  CUDA_CHECK(cudaMemsetAsync(t.raw(), 0, t.nbytes(), kStream));  // all-zero bits are +0.0
  return t;
}

// Results live where the caller's input lives.
Tensor to_caller(const Tensor& d, bool device_results) {
  if (!d.defined() || device_results) return d;
  return cuda::to_host(d);
}

bool params_on_device(const RnnParams& params) {
  const Device device = params[0].device();
  for (size_t i = 0; i < params.size(); ++i)
    RECUR_CHECK(
        params[i].device() == device,
        "cudnn backend: all parameters must live on one side; {} is on the {} but {} is not",
        params.name(i), device == Device::CUDA ? "device" : "host", params.name(0));
  return device == Device::CUDA;
}

// Copies every parameter block into the plan's weight space.
void pack_weights(Plan& plan, const RnnParams& params) {
  if (params_on_device(params)) {
    copy_runs_device(merge_runs(pack_runs(plan.slots(), params, plan.d_weights())), kStream);
    return;
  }
  std::vector<unsigned char>& staging = plan.host_staging();
  copy_runs_host(merge_runs(pack_runs(plan.slots(), params, staging.data())));
  CUDA_CHECK(cudaMemcpy(plan.d_weights(), staging.data(), staging.size(), cudaMemcpyHostToDevice));
}

// The weight gradients in `d_grads` (the plan's layout) as parameters named and shaped like
// `params`, on the device or on the host.
RnnParams unpack_weight_grads(Plan& plan, const void* d_grads, const RnnParams& params,
                              bool device_results) {
  RnnParams grads = params;  // names and shapes; every tensor is replaced and fully written below
  for (size_t i = 0; i < grads.size(); ++i) {
    const Shape& shape = params[i].shape();
    grads.set(i, device_results ? cuda::device_empty(shape, params.dtype())
                                : Tensor::empty(shape, params.dtype()));
  }
  if (device_results) {
    copy_runs_device(merge_runs(unpack_runs(plan.slots(), d_grads, grads)), kStream);
    return grads;
  }
  std::vector<unsigned char>& staging = plan.host_staging();
  CUDA_CHECK(cudaMemcpy(staging.data(), d_grads, staging.size(), cudaMemcpyDeviceToHost));
  copy_runs_host(merge_runs(unpack_runs(plan.slots(), staging.data(), grads)));
  return grads;
}

class CudnnBackendImpl final : public CudnnBackend {
 public:
  explicit CudnnBackendImpl(const CudnnOptions& options);

  std::string name() const override;
  const CudnnOptions& options() const override { return options_; }
  std::vector<std::string> notes() const override { return notes_; }
  RnnOutputs forward(const RnnSpec& spec, const RnnParams& params, const RnnInputs& in,
                     const ForwardOptions& options) override;
  RnnGrads backward(const RnnSpec& spec, const RnnParams& params, const RnnInputs& in,
                    const RnnOutputs& fwd, const RnnGradOutputs& grads) override;

 private:
  std::shared_ptr<Plan> plan_for(const PlanKey& key);
  void refuse(const PlanKey& key, const CudnnError& why);
  RnnOutputs run_forward(const std::shared_ptr<Plan>& plan, const RnnParams& params,
                         const RnnInputs& in, const ForwardOptions& options);
  RnnGrads run_backward(const CudnnSaved& saved, const RnnParams& params, const RnnInputs& in,
                        const RnnGradOutputs& grads);

  CudnnOptions options_;
  std::shared_ptr<Handle> handle_;
  std::vector<std::shared_ptr<Plan>> plans_;  // least recently used first
  std::vector<PlanKey> refused_;  // shapes for which cuDNN refused the persistent algorithm
  std::vector<std::string> notes_;
};

CudnnBackendImpl::CudnnBackendImpl(const CudnnOptions& options) : options_(options) {
  std::string why;
  if (!cuda_device_available(&why)) {
    const bool worded = why.rfind("no usable CUDA device", 0) == 0;
    RECUR_FAIL("cudnn backend: {}", worded ? why : fmt::format("no usable CUDA device ({})", why));
  }
  const size_t version = cudnnGetVersion();
  RECUR_CHECK(version / 10000 == CUDNN_MAJOR,
              "cudnn backend: built with cuDNN {} but the loaded libcudnn is version {}",
              CUDNN_VERSION, version);
  handle_ = std::make_shared<Handle>();
}

std::string CudnnBackendImpl::name() const {
  std::string n = "cudnn";
  if (options_.algo != CudnnAlgo::Standard) n += std::string("-") + cudnn_algo_name(options_.algo);
  if (options_.allow_tf32) n += "-tf32";
  return n;
}

std::shared_ptr<Plan> CudnnBackendImpl::plan_for(const PlanKey& key) {
  for (auto it = plans_.begin(); it != plans_.end(); ++it)
    if ((*it)->key() == key) {
      std::shared_ptr<Plan> plan = *it;
      plans_.erase(it);
      plans_.push_back(plan);
      return plan;
    }
  const bool refused = std::find(refused_.begin(), refused_.end(), key) != refused_.end();
  const cudnnRNNAlgo_t algo = refused ? CUDNN_RNN_ALGO_STANDARD : to_cudnn(options_.algo);
  std::shared_ptr<Plan> plan;
  try {
    plan = std::make_shared<Plan>(handle_, key, algo, options_.allow_tf32);
  } catch (const CudnnError& e) {
    if (!e.refuses_configuration() || algo == CUDNN_RNN_ALGO_STANDARD) throw;
    refuse(key, e);
    plan = std::make_shared<Plan>(handle_, key, CUDNN_RNN_ALGO_STANDARD, options_.allow_tf32);
  }
  plans_.push_back(plan);
  if (plans_.size() > kMaxPlans) plans_.erase(plans_.begin());
  return plan;
}

void CudnnBackendImpl::refuse(const PlanKey& key, const CudnnError& why) {
  plans_.erase(std::remove_if(plans_.begin(), plans_.end(),
                              [&](const std::shared_ptr<Plan>& p) { return p->key() == key; }),
               plans_.end());
  refused_.push_back(key);
  notes_.push_back(
      fmt::format("cudnn backend: the {} algorithm is not supported for {} ({}); using "
                  "the standard algorithm for this shape",
                  cudnn_algo_name(options_.algo), key.str(), why.what()));
  std::fprintf(stderr, "recur: %s\n", notes_.back().c_str());
}

RnnOutputs CudnnBackendImpl::forward(const RnnSpec& spec, const RnnParams& params,
                                     const RnnInputs& in, const ForwardOptions& options) {
  const SeqDims d = check_forward_args(spec, params, in);
  const PlanKey key =
      make_plan_key(spec, params.dtype(), d.T, d.B, options.training, sequence_lengths(in));
  // At most two rounds: a persistent algorithm cuDNN refuses at run time is refused for this
  // shape, and the next round builds the standard plan.
  for (;;) {
    std::shared_ptr<Plan> plan = plan_for(key);
    try {
      return run_forward(plan, params, in, options);
    } catch (const CudnnError& e) {
      if (!e.refuses_configuration() || plan->algo() == CUDNN_RNN_ALGO_STANDARD) throw;
      refuse(key, e);
    }
  }
}

RnnOutputs CudnnBackendImpl::run_forward(const std::shared_ptr<Plan>& plan, const RnnParams& params,
                                         const RnnInputs& in, const ForwardOptions& options) {
  Plan& p = *plan;
  const PlanKey& k = p.key();
  const bool device_results = in.input.device() == Device::CUDA;
  const bool lstm = k.cell == Cell::LSTM;
  const SeqDims dims{k.T, k.B};
  const Shape out_shape = output_shape(k.spec(), dims);
  const Shape states = state_shape(k.spec(), dims);
  const Shape cell_states = cell_state_shape(k.spec(), dims);

  pack_weights(p, params);
  const Tensor x = on_device(in.input);
  const Tensor hx = on_device(in.h0);
  const Tensor cx = lstm ? on_device(in.c0) : Tensor();
  Tensor y = cuda::device_empty(out_shape, k.dtype);
  Tensor hy = cuda::device_empty(states, k.dtype);
  Tensor cy = lstm ? cuda::device_empty(cell_states, k.dtype) : Tensor();
  std::shared_ptr<cuda::DeviceBuffer> reserve;
  if (k.training) {
    reserve = p.reserve_for_call();
    if (k.dropout > 0) p.reseed_dropout(options.dropout_seed);
  }

  // cDesc is read for LSTM only; a state descriptor is passed for every cell.
  CUDNN_CHECK(cudnnRNNForward(
      p.handle(), p.rnn(), k.training ? CUDNN_FWD_MODE_TRAINING : CUDNN_FWD_MODE_INFERENCE,
      p.d_seq_lengths(), p.x_desc(), x.raw(), p.y_desc(), y.raw(), p.state_desc(), ptr_or_null(hx),
      hy.raw(), p.cell_state_desc(), ptr_or_null(cx), ptr_or_null(cy), p.weight_bytes(),
      p.d_weights(), p.work_bytes(), p.d_work(), reserve ? reserve->bytes() : 0,
      reserve ? reserve->get() : nullptr));

  RnnOutputs out;
  out.output = to_caller(y, device_results);
  out.h_n = to_caller(hy, device_results);
  out.c_n = to_caller(cy, device_results);
  if (k.training) {
    auto saved = std::make_shared<CudnnSaved>();
    saved->plan = plan;
    saved->reserve = std::move(reserve);
    saved->x = x;
    saved->hx = hx;
    saved->cx = cx;
    saved->y = y;
    saved->dropout_seed = options.dropout_seed;
    out.saved = std::move(saved);
  }
  return out;
}

RnnGrads CudnnBackendImpl::backward(const RnnSpec& spec, const RnnParams& params,
                                    const RnnInputs& in, const RnnOutputs& fwd,
                                    const RnnGradOutputs& grads) {
  check_backward_args(spec, params, in, fwd, grads);
  const auto* saved = dynamic_cast<const CudnnSaved*>(fwd.saved.get());
  RECUR_CHECK(saved != nullptr,
              "cudnn backend: backward needs the result of a cudnn training "
              "forward, got another backend's");
  const SeqDims d = check_forward_args(spec, params, in);
  const PlanKey want = make_plan_key(spec, params.dtype(), d.T, d.B, true, sequence_lengths(in));
  RECUR_CHECK(saved->plan->key() == want,
              "cudnn backend: backward called for {} but its forward ran {}", want.str(),
              saved->plan->key().str());
  try {
    return run_backward(*saved, params, in, grads);
  } catch (const CudnnError& e) {
    if (!e.refuses_configuration() || saved->plan->algo() == CUDNN_RNN_ALGO_STANDARD) throw;
    // The reserve space belongs to the algorithm that filled it: run the forward again with the
    // standard algorithm, then its backward.
    refuse(saved->plan->key(), e);
    ForwardOptions again_options;
    again_options.training = true;
    again_options.dropout_seed = saved->dropout_seed;
    const RnnOutputs again = forward(spec, params, in, again_options);
    return run_backward(static_cast<const CudnnSaved&>(*again.saved), params, in, grads);
  }
}

RnnGrads CudnnBackendImpl::run_backward(const CudnnSaved& s, const RnnParams& params,
                                        const RnnInputs& in, const RnnGradOutputs& grads) {
  Plan& p = *s.plan;
  const PlanKey& k = p.key();
  const bool device_results = in.input.device() == Device::CUDA;
  const bool lstm = k.cell == Cell::LSTM;
  const Shape states = state_shape(k.spec(), {k.T, k.B});
  const Shape cell_states = cell_state_shape(k.spec(), {k.T, k.B});

  // The plan's weight space may have been re-packed since the forward: pack this call's
  // parameters, which the Backend contract says are the forward's.
  pack_weights(p, params);
  const Tensor dy =
      grads.output.defined() ? on_device(grads.output) : device_zeros(s.y.shape(), k.dtype);
  const Tensor dhy = on_device(grads.h_n);
  const Tensor dcy = lstm ? on_device(grads.c_n) : Tensor();
  Tensor dx = cuda::device_empty(s.x.shape(), k.dtype);
  Tensor dhx = cuda::device_empty(states, k.dtype);
  Tensor dcx = lstm ? cuda::device_empty(cell_states, k.dtype) : Tensor();

  // Backward data first: it leaves in the reserve space what backward weights reads.
  CUDNN_CHECK(cudnnRNNBackwardData_v8(
      p.handle(), p.rnn(), p.d_seq_lengths(), p.y_desc(), s.y.raw(), dy.raw(), p.x_desc(), dx.raw(),
      p.state_desc(), ptr_or_null(s.hx), ptr_or_null(dhy), dhx.raw(), p.cell_state_desc(),
      ptr_or_null(s.cx), ptr_or_null(dcy), ptr_or_null(dcx), p.weight_bytes(), p.d_weights(),
      p.work_bytes(), p.d_work(), s.reserve->bytes(), s.reserve->get()));
  void* d_weight_grads = p.d_weight_grads_zeroed();
  CUDNN_CHECK(cudnnRNNBackwardWeights_v8(
      p.handle(), p.rnn(), CUDNN_WGRAD_MODE_ADD, p.d_seq_lengths(), p.x_desc(), s.x.raw(),
      p.state_desc(), ptr_or_null(s.hx), p.y_desc(), s.y.raw(), p.weight_bytes(), d_weight_grads,
      p.work_bytes(), p.d_work(), s.reserve->bytes(), s.reserve->get()));

  RnnGrads g;
  g.input = to_caller(dx, device_results);
  g.h0 = to_caller(dhx, device_results);
  g.c0 = to_caller(dcx, device_results);
  g.params = unpack_weight_grads(p, d_weight_grads, params, device_results);
  return g;
}

}  // namespace
}  // namespace cudnn

std::unique_ptr<CudnnBackend> make_cudnn_backend(const CudnnOptions& options) {
  return std::make_unique<cudnn::CudnnBackendImpl>(options);
}

std::unique_ptr<Backend> make_cudnn_backend() {
  return make_cudnn_backend(CudnnOptions{});
}

}  // namespace recur
