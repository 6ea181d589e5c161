// The backend interface: one forward (inference or training) and one backward (BPTT) for any
// RnnSpec, and the registry of backends by name.
//
// Shapes (PyTorch's): input [T, B, I] ([B, T, I] with batch_first); h0, h_n [L*D, B, P] and
// c0, c_n [L*D, B, H] (never batch-first); output [T, B, D*P] ([B, T, D*P] with batch_first),
// the forward direction's P values before the reverse direction's. P is
// RnnSpec::state_size(): the LSTM's proj_size when it has a projection, else H. c0/c_n exist
// for LSTM only.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "recur/rnn.h"
#include "recur/tensor.h"

namespace recur {

struct RnnInputs {
  Tensor input;
  Tensor h0;  // undefined: zeros
  Tensor c0;  // undefined: zeros; LSTM only
  // Variable-length batches, PyTorch's packed-sequence semantics (enforce_sorted=False): a
  // host tensor [B], I64 or I32, every value in [1, T], in any order; undefined: every
  // sequence has T steps. Sequence b runs steps t < lengths[b] only: its outputs at t >=
  // lengths[b] are zero, h_n/c_n are its states after its own last step, the reverse direction
  // starts at its own last step lengths[b]-1, and the gradients of its padded positions (input,
  // and everything the padded outputs would feed) are zero. The backward takes the same inputs.
  Tensor lengths;
};

struct ForwardOptions {
  bool training = false;      // keep what backward needs; apply dropout
  uint64_t dropout_seed = 0;  // the masks are a pure function of (seed, layer, element)
};

// What a training forward keeps for its backward; each backend defines its own.
class SavedState {
 public:
  virtual ~SavedState() = default;
};

struct RnnOutputs {
  Tensor output;
  Tensor h_n;
  Tensor c_n;                         // LSTM only
  std::shared_ptr<SavedState> saved;  // set by a training forward
};

// Gradients of the loss with respect to the forward's outputs; undefined ones are zero.
struct RnnGradOutputs {
  Tensor output;
  Tensor h_n;
  Tensor c_n;
};

struct RnnGrads {
  Tensor input;      // like RnnInputs::input
  Tensor h0;         // [L*D, B, P], also when h0 was not given
  Tensor c0;         // [L*D, B, H], LSTM only
  RnnParams params;  // same names and shapes as the parameters
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string name() const = 0;

  // Inputs and parameters must share one dtype (F32 or F64); outputs have it too.
  virtual RnnOutputs forward(const RnnSpec& spec, const RnnParams& params, const RnnInputs& in,
                             const ForwardOptions& options) = 0;
  // `fwd` must come from a training forward of this backend with the same spec, params and
  // inputs, unmodified: a backend may read its tensors (cudnn reads fwd.output), so change
  // them in place only after the backward.
  virtual RnnGrads backward(const RnnSpec& spec, const RnnParams& params, const RnnInputs& in,
                            const RnnOutputs& fwd, const RnnGradOutputs& grads) = 0;
  // Why this backend cannot run `spec` in `dtype` (in training when `training`), or "" when it
  // can. Comparison backends (onednn) cover only part of what recur does; callers such as
  // recur_bench and recur check report those cases as skipped with this reason, and
  // forward/backward throw recur::Error with it.
  virtual std::string unsupported(const RnnSpec& spec, DType dtype, bool training) const {
    (void)spec;
    (void)dtype;
    (void)training;
    return "";
  }
  // Why this backend cannot run variable-length batches (RnnInputs::lengths), or "" when it
  // can; reported and thrown like unsupported().
  virtual std::string unsupported_lengths() const { return ""; }
  // What `recur info` tells about how this backend runs calls on this machine, one or more
  // lines ("" when there is nothing to say): the cuda backend's choice of time loop and where
  // its persistent kernels fit.
  virtual std::string describe() const { return ""; }
};

// Checks a forward call's arguments against the spec; throws recur::Error naming the tensor.
// Returns {T, B}. Every backend calls it first.
struct SeqDims {
  int64_t T = 0;
  int64_t B = 0;
};
SeqDims check_forward_args(const RnnSpec& spec, const RnnParams& params, const RnnInputs& in);
// The shapes of a call's output ([T, B, D*P], or [B, T, D*P] with batch_first), of its
// states h0, h_n ([L*D, B, P]) and of its cell states c0, c_n ([L*D, B, H]); P is
// spec.state_size().
Shape output_shape(const RnnSpec& spec, SeqDims dims);
Shape state_shape(const RnnSpec& spec, SeqDims dims);
Shape cell_state_shape(const RnnSpec& spec, SeqDims dims);
void check_backward_args(const RnnSpec& spec, const RnnParams& params, const RnnInputs& in,
                         const RnnOutputs& fwd, const RnnGradOutputs& grads);
// in.lengths as host integers [B] (check_forward_args has validated them); empty when
// undefined (every sequence has T steps).
std::vector<int64_t> sequence_lengths(const RnnInputs& in);

// The registry. Names: "cpu-ref", "cpu", "onednn", "cuda", "cudnn" (those compiled in).
std::vector<std::string> backend_names();
// Throws recur::Error for an unknown name, or when the backend cannot run here (with why).
std::unique_ptr<Backend> make_backend(std::string_view name);
// "auto" resolves to this: "cuda" when a usable GPU is present, else "cpu".
std::string default_backend_name();
// True when a CUDA device can be used; `description` gets its name or the reason it cannot.
bool gpu_available(std::string* description = nullptr);

}  // namespace recur
