// The driver's arguments: the tensors of one call as pointers into the executor's memory.
// Shapes (recur/backend.h): input [T, B, I] ([B, T, I] with batch_first); h0, h_n [L*D, B, P];
// c0, c_n [L*D, B, H]; output [T, B, D*P] ([B, T, D*P] with batch_first), where P is the LSTM's
// proj_size with a projection and H otherwise. Arrays over layers and directions are indexed
// l*D + d (Dims::state_index in driver_layout.h).
#pragma once

#include <cstdint>
#include <vector>

#include "recur/rnn.h"

namespace recur::driver {

// The parameters of one layer and direction, PyTorch's shapes: W_ih [G*H, In], W_hh [G*H, P],
// b_ih, b_hh [G*H] (null when the spec has no bias), W_hr [P, H] (null without a projection).
// In the executor's memory.
template <class T>
struct DirParams {
  const T* w_ih = nullptr;
  const T* w_hh = nullptr;
  const T* b_ih = nullptr;
  const T* b_hh = nullptr;
  const T* w_hr = nullptr;
};

// Their gradients, same shapes; every one is written (biases only when the spec has them,
// W_hr only with a projection).
template <class T>
struct DirParamGrads {
  T* w_ih = nullptr;
  T* w_hh = nullptr;
  T* b_ih = nullptr;
  T* b_hh = nullptr;
  T* w_hr = nullptr;
};

template <class T>
struct ForwardArgs {
  RnnSpec spec;
  int64_t steps = 0;  // T >= 1
  int64_t batch = 0;  // B >= 1
  // [B] on the host, each in [1, T]: a variable-length batch (driver_ragged.h); empty: every
  // sequence has T steps.
  std::vector<int64_t> lengths;
  bool training = false;
  uint64_t dropout_seed = 0;
  std::vector<DirParams<T>> params;  // [L*D], index l*D + d
  const T* input = nullptr;          // [T, B, I] or [B, T, I]
  const T* h0 = nullptr;             // [L*D, B, P], nullable (zeros)
  const T* c0 = nullptr;             // [L*D, B, H], LSTM only, nullable (zeros)
  T* output = nullptr;               // [T, B, D*P] or [B, T, D*P]
  T* h_n = nullptr;                  // [L*D, B, P]
  T* c_n = nullptr;                  // [L*D, B, H], LSTM only
  T* saved = nullptr;                // training only: saved_elems(spec, T, B) elements
};

// `saved`, `input`, `h0`, `c0`, `lengths`, `params` and the spec must be those of the training
// forward.
template <class T>
struct BackwardArgs {
  RnnSpec spec;
  int64_t steps = 0;
  int64_t batch = 0;
  std::vector<int64_t> lengths;  // [B] on the host, or empty
  uint64_t dropout_seed = 0;
  std::vector<DirParams<T>> params;
  const T* input = nullptr;
  const T* h0 = nullptr;
  const T* c0 = nullptr;
  const T* saved = nullptr;
  const T* grad_output = nullptr;       // like output, nullable (zeros)
  const T* grad_h_n = nullptr;          // [L*D, B, P], nullable (zeros)
  const T* grad_c_n = nullptr;          // [L*D, B, H], LSTM only, nullable (zeros)
  T* grad_input = nullptr;              // like input
  T* grad_h0 = nullptr;                 // [L*D, B, P]
  T* grad_c0 = nullptr;                 // [L*D, B, H], LSTM only
  std::vector<DirParamGrads<T>> grads;  // [L*D]
};

}  // namespace recur::driver
