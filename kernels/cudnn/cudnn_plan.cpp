#include "kernels/cudnn/cudnn_plan.h"

#include <climits>

namespace recur::cudnn {

namespace {

cudnnDataType_t data_type(DType dtype) {
  switch (dtype) {
    case DType::F32:
      return CUDNN_DATA_FLOAT;
    case DType::F64:
      return CUDNN_DATA_DOUBLE;
    default:
      RECUR_FAIL("cudnn backend: dtype {} is not supported (F32 or F64)", dtype_name(dtype));
  }
}

cudnnRNNMode_t cell_mode(Cell cell) {
  switch (cell) {
    case Cell::RNN_TANH:
      return CUDNN_RNN_TANH;
    case Cell::RNN_RELU:
      return CUDNN_RNN_RELU;
    case Cell::LSTM:
      return CUDNN_LSTM;
    case Cell::GRU:
      return CUDNN_GRU;
    default:  // a cell cuDNN does not have
      break;
  }
  RECUR_FAIL("cudnn backend: cell {} is not supported", cell_name(cell));
}

// cuDNN takes every size as a 32-bit int.
int to_int(int64_t v, const char* what) {
  RECUR_CHECK(v > 0 && v <= INT_MAX, "cudnn backend: {} = {} does not fit cuDNN's int", what, v);
  return static_cast<int>(v);
}

}  // namespace

RnnSpec PlanKey::spec() const {
  RnnSpec s;
  s.cell = cell;
  s.input_size = input_size;
  s.hidden_size = hidden_size;
  s.num_layers = num_layers;
  s.bidirectional = bidirectional;
  s.bias = bias;
  s.batch_first = batch_first;
  s.dropout = dropout;
  s.proj_size = proj_size;
  return s;
}

std::string PlanKey::str() const {
  return fmt::format("{} I={} H={}{} L={} {}{}{} B={} T={} {} {}", cell_name(cell), input_size,
                     hidden_size, proj_size > 0 ? fmt::format(" P={}", proj_size) : "", num_layers,
                     bidirectional ? "bi" : "uni", bias ? "" : " no-bias",
                     batch_first ? " batch-first" : "", B, T, dtype_name(dtype),
                     training ? "training" : "inference") +
         (lengths.empty() ? "" : fmt::format(" lengths [{}]", fmt::join(lengths, ", ")));
}

bool operator==(const PlanKey& a, const PlanKey& b) {
  return a.cell == b.cell && a.input_size == b.input_size && a.hidden_size == b.hidden_size &&
         a.num_layers == b.num_layers && a.bidirectional == b.bidirectional && a.bias == b.bias &&
         a.batch_first == b.batch_first && a.dtype == b.dtype && a.T == b.T && a.B == b.B &&
         a.training == b.training && a.dropout == b.dropout && a.proj_size == b.proj_size &&
         a.lengths == b.lengths;
}

PlanKey make_plan_key(const RnnSpec& spec, DType dtype, int64_t T, int64_t B, bool training,
                      const std::vector<int64_t>& lengths) {
  PlanKey k;
  k.cell = spec.cell;
  k.input_size = spec.input_size;
  k.hidden_size = spec.hidden_size;
  k.proj_size = spec.proj_size;
  k.num_layers = spec.num_layers;
  k.bidirectional = spec.bidirectional;
  k.bias = spec.bias;
  k.batch_first = spec.batch_first;
  k.dtype = dtype;
  k.T = T;
  k.B = B;
  k.training = training;
  k.dropout = training ? spec.dropout : 0.0;
  for (int64_t len : lengths) k.lengths.push_back(static_cast<int32_t>(len));  // in [1, T]
  return k;
}

Plan::Plan(std::shared_ptr<Handle> handle, const PlanKey& key, cudnnRNNAlgo_t algo, bool allow_tf32)
    : handle_(std::move(handle)), key_(key), algo_(algo), allow_tf32_(allow_tf32) {
  const cudnnDataType_t dt = data_type(key.dtype);
  const int T = to_int(key.T, "T"), B = to_int(key.B, "B");
  const int D = key.bidirectional ? 2 : 1;
  const int I = to_int(key.input_size, "input_size"), H = to_int(key.hidden_size, "hidden_size");
  const int L = to_int(key.num_layers, "num_layers");
  const int P = key.proj_size > 0 ? to_int(key.proj_size, "proj_size") : H;  // the width of h
  (void)to_int(key.T * key.B * D * key.hidden_size, "T*B*D*H");  // the largest tensor's elements

  // A zero dropout needs no generator state (no random numbers are drawn).
  if (key.dropout > 0) {
    size_t state_bytes = 0;
    CUDNN_CHECK(cudnnDropoutGetStatesSize(handle_->get(), &state_bytes));
    dropout_states_ = cuda::DeviceBuffer(state_bytes);
    CUDNN_CHECK(cudnnSetDropoutDescriptor(dropout_.get(), handle_->get(),
                                          static_cast<float>(key.dropout), dropout_states_.get(),
                                          state_bytes, 0));
  } else {
    CUDNN_CHECK(cudnnSetDropoutDescriptor(dropout_.get(), handle_->get(), 0.0f, nullptr, 0, 0));
  }
  set_rnn_descriptor();

  // The unpacked layouts hold exactly [T, B, .] or [B, T, .]. Without lengths every sequence
  // is T long; with them (any order) cuDNN runs each sequence's own steps, its reverse direction
  // from its own last step, and fills the padded positions of y (and of dx, through x_desc)
  // with zeros.
  std::vector<int> lengths(static_cast<size_t>(B), T);
  if (!key.lengths.empty()) lengths.assign(key.lengths.begin(), key.lengths.end());
  const cudnnRNNDataLayout_t layout = key.batch_first ? CUDNN_RNN_DATA_LAYOUT_BATCH_MAJOR_UNPACKED
                                                      : CUDNN_RNN_DATA_LAYOUT_SEQ_MAJOR_UNPACKED;
  const float zero_f = 0.0f;
  const double zero_d = 0.0;
  void* fill = nullptr;
  if (!key.lengths.empty())
    fill = const_cast<void*>(key.dtype == DType::F64 ? static_cast<const void*>(&zero_d)
                                                     : static_cast<const void*>(&zero_f));
  CUDNN_CHECK(cudnnSetRNNDataDescriptor(x_desc_.get(), dt, layout, T, B, I, lengths.data(), fill));
  CUDNN_CHECK(
      cudnnSetRNNDataDescriptor(y_desc_.get(), dt, layout, T, B, D * P, lengths.data(), fill));
  const int dims[3] = {L * D, B, P};
  const int strides[3] = {B * P, P, 1};
  CUDNN_CHECK(cudnnSetTensorNdDescriptor(state_desc_.get(), dt, 3, dims, strides));
  const int cell_dims[3] = {L * D, B, H};
  const int cell_strides[3] = {B * H, H, 1};
  CUDNN_CHECK(cudnnSetTensorNdDescriptor(cell_state_desc_.get(), dt, 3, cell_dims, cell_strides));

  seq_lengths_ = cuda::DeviceBuffer(lengths.size() * sizeof(int32_t));
  static_assert(sizeof(int) == sizeof(int32_t), "cuDNN's sequence lengths are int32");
  CUDA_CHECK(
      cudaMemcpy(seq_lengths_.get(), lengths.data(), seq_lengths_.bytes(), cudaMemcpyHostToDevice));

  CUDNN_CHECK(cudnnGetRNNWeightSpaceSize(handle_->get(), rnn_.get(), &weight_bytes_));
  size_t work_bytes = 0;
  CUDNN_CHECK(cudnnGetRNNTempSpaceSizes(
      handle_->get(), rnn_.get(), key.training ? CUDNN_FWD_MODE_TRAINING : CUDNN_FWD_MODE_INFERENCE,
      x_desc_.get(), &work_bytes, &reserve_bytes_));
  if (!key.training) reserve_bytes_ = 0;  // inference never touches a reserve space
  workspace_ = cuda::DeviceBuffer(work_bytes);
  weights_ = cuda::DeviceBuffer(weight_bytes_);
  // Zero once, so that any padding between blocks is defined; blocks are rewritten every call.
  CUDA_CHECK(cudaMemset(weights_.get(), 0, weight_bytes_));
  host_staging_.assign(weight_bytes_, 0);
  locate_slots();
}

void Plan::set_rnn_descriptor() {
  const cudnnDataType_t dt = data_type(key_.dtype);
  // See cudnn_backend.h: FMA math is cuDNN's exact-FP32 mode; DEFAULT permits TF32 on Ampere+.
  const cudnnMathType_t math =
      key_.dtype == DType::F32 && !allow_tf32_ ? CUDNN_FMA_MATH : CUDNN_DEFAULT_MATH;
  CUDNN_CHECK(cudnnSetRNNDescriptor_v8(
      rnn_.get(), algo_, cell_mode(key_.cell),
      key_.bias ? CUDNN_RNN_DOUBLE_BIAS : CUDNN_RNN_NO_BIAS,
      key_.bidirectional ? CUDNN_BIDIRECTIONAL : CUDNN_UNIDIRECTIONAL, CUDNN_LINEAR_INPUT, dt,
      /*mathPrec=*/dt, math, static_cast<int32_t>(key_.input_size),
      static_cast<int32_t>(key_.hidden_size),
      // projSize: the LSTM's projection (its matrix is linLayerID 8, weight_map.h), else H.
      /*projSize=*/static_cast<int32_t>(key_.proj_size > 0 ? key_.proj_size : key_.hidden_size),
      static_cast<int32_t>(key_.num_layers), dropout_.get(), CUDNN_RNN_PADDED_IO_ENABLED));
  // The dynamic persistent kernel is compiled for one batch size, after every descriptor change.
  if (algo_ == CUDNN_RNN_ALGO_PERSIST_DYNAMIC)
    CUDNN_CHECK(cudnnBuildRNNDynamic(handle_->get(), rnn_.get(), static_cast<int>(key_.B)));
}

void Plan::locate_slots() {
  slots_ = cudnn_weight_slots(key_.spec());
  TensorDescriptor m_desc, b_desc;
  constexpr int kMaxDims = 8;
  for (WeightSlot& s : slots_) {
    void* m_addr = nullptr;
    void* b_addr = nullptr;
    CUDNN_CHECK(cudnnGetRNNWeightParams(handle_->get(), rnn_.get(), s.pseudo_layer, weight_bytes_,
                                        weights_.get(), s.lin_layer_id, m_desc.get(), &m_addr,
                                        b_desc.get(), &b_addr));
    void* addr = s.is_bias ? b_addr : m_addr;
    RECUR_CHECK(addr != nullptr,
                "cudnn backend: cuDNN reports no {} for pseudo-layer {} linLayerID {} ({})",
                s.is_bias ? "bias" : "matrix", s.pseudo_layer, s.lin_layer_id, s.param);
    cudnnDataType_t dt{};
    int nb_dims = 0;
    int dims[kMaxDims] = {};
    int strides[kMaxDims] = {};
    CUDNN_CHECK(cudnnGetTensorNdDescriptor(s.is_bias ? b_desc.get() : m_desc.get(), kMaxDims, &dt,
                                           &nb_dims, dims, strides));
    RECUR_CHECK(dt == data_type(key_.dtype), "cudnn backend: {} block has an unexpected data type",
                s.param);
    check_slot_shape(s, nb_dims, dims);
    s.space_offset = static_cast<const char*>(addr) - static_cast<const char*>(weights_.get());
  }
  check_space_layout(slots_, dtype_size(key_.dtype), weight_bytes_);
}

void* Plan::d_weight_grads_zeroed() {
  if (weight_grads_.bytes() != weight_bytes_) weight_grads_ = cuda::DeviceBuffer(weight_bytes_);
  // cudnnRNNBackwardWeights_v8 adds (CUDNN_WGRAD_MODE_ADD) into this space.
  CUDA_CHECK(cudaMemsetAsync(weight_grads_.get(), 0, weight_bytes_, nullptr));
  return weight_grads_.get();
}

std::shared_ptr<cuda::DeviceBuffer> Plan::reserve_for_call() {
  constexpr size_t kPooled = 2;
  for (const auto& reserve : reserve_pool_)
    if (reserve.use_count() == 1) return reserve;  // only the pool holds it: free to reuse
  auto reserve = std::make_shared<cuda::DeviceBuffer>(reserve_bytes_);
  if (reserve_pool_.size() < kPooled) reserve_pool_.push_back(reserve);
  return reserve;
}

void Plan::reseed_dropout(uint64_t seed) {
  RECUR_ASSERT(key_.dropout > 0);
  CUDNN_CHECK(cudnnSetDropoutDescriptor(dropout_.get(), handle_->get(),
                                        static_cast<float>(key_.dropout), dropout_states_.get(),
                                        dropout_states_.bytes(), seed));
  // Re-set the RNN descriptor so that it takes the re-initialised dropout state for certain.
  set_rnn_descriptor();
}

}  // namespace recur::cudnn
