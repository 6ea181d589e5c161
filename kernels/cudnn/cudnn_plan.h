// A Plan: everything the cuDNN RNN calls need for one shape of call, built once and cached by the
// backend: the RNN, dropout, RNN-data and state descriptors, the device array of sequence lengths,
// the weight-space layout (which PyTorch block sits where) and the buffers whose size depends on
// the shape. Internal header (includes cuDNN).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include <cudnn.h>

#include "kernels/cuda/device_memory.h"
#include "kernels/cudnn/cudnn_descriptors.h"
#include "kernels/cudnn/weight_map.h"
#include "recur/rnn.h"

namespace recur::cudnn {

// What fixes the descriptors of a call. `dropout` is the dropout the call applies: spec.dropout
// in training, 0 in inference (cuDNN never applies dropout in inference, and a zero dropout
// descriptor needs no generator state).
struct PlanKey {
  Cell cell = Cell::LSTM;
  int64_t input_size = 0, hidden_size = 0, num_layers = 0;
  int64_t proj_size = 0;  // LSTM projection (cuDNN's projSize when > 0)
  bool bidirectional = false, bias = true, batch_first = false;
  DType dtype = DType::F32;
  int64_t T = 0, B = 0;
  bool training = false;
  double dropout = 0;
  // A variable-length batch: each sequence's length [B] (any order; cuDNN's unpacked layouts
  // take them unsorted), empty when every sequence has T steps.
  std::vector<int32_t> lengths;

  RnnSpec spec() const;     // the network part, dropout included
  std::string str() const;  // "LSTM I=3 H=5 L=2 bi B=4 T=7 F32 training", for messages
};
bool operator==(const PlanKey& a, const PlanKey& b);

// `lengths`: RnnInputs::lengths as sequence_lengths() gives them (empty: all T).
PlanKey make_plan_key(const RnnSpec& spec, DType dtype, int64_t T, int64_t B, bool training,
                      const std::vector<int64_t>& lengths = {});

class Plan {
 public:
  // Builds every descriptor and queries every size. Throws CudnnError, with
  // refuses_configuration() when cuDNN refuses `algo` for this shape (the caller may then build
  // again with the standard algorithm).
  Plan(std::shared_ptr<Handle> handle, const PlanKey& key, cudnnRNNAlgo_t algo, bool allow_tf32);
  Plan(const Plan&) = delete;
  Plan& operator=(const Plan&) = delete;

  const PlanKey& key() const { return key_; }
  cudnnRNNAlgo_t algo() const { return algo_; }
  cudnnHandle_t handle() const { return handle_->get(); }
  cudnnRNNDescriptor_t rnn() const { return rnn_.get(); }
  cudnnRNNDataDescriptor_t x_desc() const { return x_desc_.get(); }
  cudnnRNNDataDescriptor_t y_desc() const { return y_desc_.get(); }
  // [L*D, B, P] for h and [L*D, B, H] for (LSTM) c, fully packed (P = proj_size with a
  // projection, else H).
  cudnnTensorDescriptor_t state_desc() const { return state_desc_.get(); }
  cudnnTensorDescriptor_t cell_state_desc() const { return cell_state_desc_.get(); }
  // [B]: the key's lengths, or all T.
  const int32_t* d_seq_lengths() const { return seq_lengths_.as<int32_t>(); }

  // The weight space of the calls made with this plan (re-packed before each call).
  size_t weight_bytes() const { return weight_bytes_; }
  void* d_weights() const { return weights_.get(); }
  // Zero-filled device memory for the weight gradients; allocated on first use.
  void* d_weight_grads_zeroed();
  size_t work_bytes() const { return workspace_.bytes(); }
  void* d_work() const { return workspace_.get(); }
  size_t reserve_bytes() const { return reserve_bytes_; }
  // A reserve space for one training forward. The backward needs it, so it lives in the
  // SavedState; the plan keeps the last two and hands one out again once no SavedState holds
  // it (a forward/backward loop then allocates nothing, even while the previous step's outputs
  // are still alive).
  std::shared_ptr<cuda::DeviceBuffer> reserve_for_call();

  // Every weight-space block with its byte offset (space_offset filled).
  const std::vector<WeightSlot>& slots() const { return slots_; }
  // Host scratch of weight_bytes() for packing host parameters (padding stays zero).
  std::vector<unsigned char>& host_staging() { return host_staging_; }

  // Training with dropout: restarts cuDNN's dropout generator from `seed` (same seed, same masks).
  void reseed_dropout(uint64_t seed);

 private:
  void set_rnn_descriptor();
  void locate_slots();

  std::shared_ptr<Handle> handle_;
  PlanKey key_;
  cudnnRNNAlgo_t algo_;
  bool allow_tf32_;
  DropoutDescriptor dropout_;
  cuda::DeviceBuffer dropout_states_;
  RnnDescriptor rnn_;
  RnnDataDescriptor x_desc_, y_desc_;
  TensorDescriptor state_desc_, cell_state_desc_;
  cuda::DeviceBuffer seq_lengths_;
  size_t weight_bytes_ = 0;
  cuda::DeviceBuffer weights_;
  cuda::DeviceBuffer weight_grads_;
  cuda::DeviceBuffer workspace_;
  size_t reserve_bytes_ = 0;
  std::vector<std::shared_ptr<cuda::DeviceBuffer>> reserve_pool_;
  std::vector<WeightSlot> slots_;
  std::vector<unsigned char> host_staging_;
};

}  // namespace recur::cudnn
