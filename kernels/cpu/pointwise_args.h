// The arguments of the CPU executor's pointwise passes, gathered so that the scalar loops
// (pointwise_scalar.h) and the AVX2 ones (pointwise_avx2.cpp) take the same thing. Shapes,
// strides and nullability are those of kernels/common/executor.h. Each pass runs over a block
// of units: batch rows [b0, b1), hidden units [j0, j1).
#pragma once

#include <cstdint>

namespace recur::cpu {

struct UnitBlock {
  int64_t b0, b1, j0, j1;
};

template <class T>
struct RnnForwardArgs {
  bool relu;
  int64_t H;
  const T* xproj;
  int64_t ldx;
  const T* hproj;  // nullable
  const T* b_ih;   // nullable
  const T* b_hh;   // nullable
  T* h_out;
  int64_t ldh;
};

template <class T>
struct LstmForwardArgs {
  bool training;
  int64_t H;
  const T* xproj;
  int64_t ldx;
  const T* hproj;  // nullable
  const T* b_ih;   // nullable
  const T* b_hh;   // nullable
  const T* c_prev;
  T* c_out;
  T* h_out;
  int64_t ldh;
  T* acts;  // training only
};

template <class T>
struct GruForwardArgs {
  bool training;
  int64_t H;
  const T* xproj;
  int64_t ldx;
  const T* hproj;  // nullable
  const T* b_ih;   // nullable
  const T* b_hh;   // nullable
  const T* h_prev;
  int64_t ldhp;
  T* h_out;
  int64_t ldh;
  T* acts;  // training only
};

template <class T>
struct RnnBackwardArgs {
  bool relu;
  int64_t H;
  const T* h_out;
  int64_t ldh;
  const T* dy;
  int64_t lddy;
  const T* dh_in;  // nullable
  T* dgates;
  int64_t ldg;
};

template <class T>
struct LstmBackwardArgs {
  int64_t H;
  const T* acts;
  const T* c;
  const T* c_prev;
  const T* dy;
  int64_t lddy;
  const T* dh_in;  // nullable
  const T* dc_in;  // nullable
  T* dgates;
  int64_t ldg;
  T* dc_out;
};

template <class T>
struct GruBackwardArgs {
  int64_t H;
  const T* acts;
  const T* h_prev;
  int64_t ldhp;
  const T* dy;
  int64_t lddy;
  const T* dh_in;  // nullable
  T* dgates_x;
  int64_t ldgx;
  T* dgates_h;
  int64_t ldgh;
  T* dh_out;
};

// The AVX2 + FMA versions for float (pointwise_avx2.cpp); call only when avx2_available().
bool avx2_available();
void rnn_forward_avx2(const RnnForwardArgs<float>& a, UnitBlock u);
void lstm_forward_avx2(const LstmForwardArgs<float>& a, UnitBlock u);
void gru_forward_avx2(const GruForwardArgs<float>& a, UnitBlock u);
void rnn_backward_avx2(const RnnBackwardArgs<float>& a, UnitBlock u);
void lstm_backward_avx2(const LstmBackwardArgs<float>& a, UnitBlock u);
void gru_backward_avx2(const GruBackwardArgs<float>& a, UnitBlock u);

}  // namespace recur::cpu
