// The CPU executor's fused pointwise passes: the [B, H] units of a step split over the lane's
// threads by batch rows (or, for small B, by hidden units), each block run by the AVX2 bodies
// for float where the CPU has AVX2 and FMA, else by the scalar ones (pointwise_body.h).
#include <algorithm>
#include <type_traits>

#include "kernels/cpu/cpu_executor.h"
#include "kernels/cpu/pointwise_args.h"
#include "kernels/cpu/pointwise_body.h"

namespace recur::cpu {
namespace {

// Rough multiply-add equivalents of one unit of a pass (measured with the AVX2 bodies: about
// 3.5 ns per unit forward, 1.6 backward, at ~30 multiply-adds per ns for a GEMM).
constexpr double kForwardCost = 100;
constexpr double kBackwardCost = 50;

template <class T>
struct ScalarIo {
  T load(const T* p) const { return *p; }
  void store(T* p, T v) const { *p = v; }
  T zero() const { return T(0); }
};

// Runs unit(b, j) over a block, one element at a time.
template <class F>
void scalar_block(UnitBlock u, F&& unit) {
  for (int64_t b = u.b0; b < u.b1; ++b) {
    for (int64_t j = u.j0; j < u.j1; ++j) unit(b, j);
  }
}

// Calls fn(block) over a partition of the [B, H] units among the lane's threads. Hidden-unit
// blocks start at multiples of 16 so that vector loops see whole vectors.
template <class T, class F>
void for_units(CpuExecutor<T>& ex, int lane, int64_t B, int64_t H, double unit_cost, F&& fn) {
  ex.split(lane, unit_cost * B * H, [&](int i, int parts) {
    if (B >= parts) {
      fn(UnitBlock{B * i / parts, B * (i + 1) / parts, 0, H});
    } else {
      const int64_t chunks = (H + 15) / 16;
      fn(UnitBlock{0, B, std::min(H, chunks * i / parts * 16),
                   std::min(H, chunks * (i + 1) / parts * 16)});
    }
  });
}

}  // namespace

template <class T>
void CpuExecutor<T>::rnn_forward_pass(int lane, bool relu, int64_t B, int64_t H, const T* xproj,
                                      int64_t ldx, const T* hproj, const T* b_ih, const T* b_hh,
                                      T* h_out, int64_t ldh) {
  const RnnForwardArgs<T> a{relu, H, xproj, ldx, hproj, b_ih, b_hh, h_out, ldh};
  for_units(*this, lane, B, H, kForwardCost, [&](UnitBlock u) {
    if constexpr (std::is_same_v<T, float>) {
      if (!relu && vector_) return rnn_forward_avx2(a, u);
    }
    const ScalarIo<T> io;
    if (relu) {
      scalar_block(u, [&](int64_t b, int64_t j) { pointwise::rnn_forward<true, T>(a, b, j, io); });
    } else {
      scalar_block(u, [&](int64_t b, int64_t j) { pointwise::rnn_forward<false, T>(a, b, j, io); });
    }
  });
}

template <class T>
void CpuExecutor<T>::lstm_forward_pass(int lane, bool training, int64_t B, int64_t H,
                                       const T* xproj, int64_t ldx, const T* hproj, const T* b_ih,
                                       const T* b_hh, const T* c_prev, T* c_out, T* h_out,
                                       int64_t ldh, T* acts) {
  const LstmForwardArgs<T> a{training, H,      xproj, ldx,   hproj, b_ih,
                             b_hh,     c_prev, c_out, h_out, ldh,   acts};
  for_units(*this, lane, B, H, kForwardCost, [&](UnitBlock u) {
    if constexpr (std::is_same_v<T, float>) {
      if (vector_) return lstm_forward_avx2(a, u);
    }
    const ScalarIo<T> io;
    scalar_block(u, [&](int64_t b, int64_t j) { pointwise::lstm_forward<T>(a, b, j, io); });
  });
}

template <class T>
void CpuExecutor<T>::gru_forward_pass(int lane, bool training, int64_t B, int64_t H, const T* xproj,
                                      int64_t ldx, const T* hproj, const T* b_ih, const T* b_hh,
                                      const T* h_prev, int64_t ldhp, T* h_out, int64_t ldh,
                                      T* acts) {
  const GruForwardArgs<T> a{training, H,      xproj, ldx,   hproj, b_ih,
                            b_hh,     h_prev, ldhp,  h_out, ldh,   acts};
  for_units(*this, lane, B, H, kForwardCost, [&](UnitBlock u) {
    if constexpr (std::is_same_v<T, float>) {
      if (vector_) return gru_forward_avx2(a, u);
    }
    const ScalarIo<T> io;
    scalar_block(u, [&](int64_t b, int64_t j) { pointwise::gru_forward<T>(a, b, j, io); });
  });
}

template <class T>
void CpuExecutor<T>::rnn_backward_pass(int lane, bool relu, int64_t B, int64_t H, const T* h_out,
                                       int64_t ldh, const T* dy, int64_t lddy, const T* dh_in,
                                       T* dgates, int64_t ldg) {
  const RnnBackwardArgs<T> a{relu, H, h_out, ldh, dy, lddy, dh_in, dgates, ldg};
  for_units(*this, lane, B, H, kBackwardCost, [&](UnitBlock u) {
    if constexpr (std::is_same_v<T, float>) {
      if (!relu && vector_) return rnn_backward_avx2(a, u);
    }
    const ScalarIo<T> io;
    if (relu) {
      scalar_block(u, [&](int64_t b, int64_t j) { pointwise::rnn_backward<true, T>(a, b, j, io); });
    } else {
      scalar_block(u,
                   [&](int64_t b, int64_t j) { pointwise::rnn_backward<false, T>(a, b, j, io); });
    }
  });
}

template <class T>
void CpuExecutor<T>::lstm_backward_pass(int lane, int64_t B, int64_t H, const T* acts, const T* c,
                                        const T* c_prev, const T* dy, int64_t lddy, const T* dh_in,
                                        const T* dc_in, T* dgates, int64_t ldg, T* dc_out) {
  const LstmBackwardArgs<T> a{H, acts, c, c_prev, dy, lddy, dh_in, dc_in, dgates, ldg, dc_out};
  for_units(*this, lane, B, H, kBackwardCost, [&](UnitBlock u) {
    if constexpr (std::is_same_v<T, float>) {
      if (vector_) return lstm_backward_avx2(a, u);
    }
    const ScalarIo<T> io;
    scalar_block(u, [&](int64_t b, int64_t j) { pointwise::lstm_backward<T>(a, b, j, io); });
  });
}

template <class T>
void CpuExecutor<T>::gru_backward_pass(int lane, int64_t B, int64_t H, const T* acts,
                                       const T* h_prev, int64_t ldhp, const T* dy, int64_t lddy,
                                       const T* dh_in, T* dgates_x, int64_t ldgx, T* dgates_h,
                                       int64_t ldgh, T* dh_out) {
  const GruBackwardArgs<T> a{H,     acts,     h_prev, ldhp,     dy,   lddy,
                             dh_in, dgates_x, ldgx,   dgates_h, ldgh, dh_out};
  for_units(*this, lane, B, H, kBackwardCost, [&](UnitBlock u) {
    if constexpr (std::is_same_v<T, float>) {
      if (vector_) return gru_backward_avx2(a, u);
    }
    const ScalarIo<T> io;
    scalar_block(u, [&](int64_t b, int64_t j) { pointwise::gru_backward<T>(a, b, j, io); });
  });
}

#define RECUR_INSTANTIATE_POINTWISE(T)                                                            \
  template void CpuExecutor<T>::rnn_forward_pass(int, bool, int64_t, int64_t, const T*, int64_t,  \
                                                 const T*, const T*, const T*, T*, int64_t);      \
  template void CpuExecutor<T>::lstm_forward_pass(int, bool, int64_t, int64_t, const T*, int64_t, \
                                                  const T*, const T*, const T*, const T*, T*, T*, \
                                                  int64_t, T*);                                   \
  template void CpuExecutor<T>::gru_forward_pass(int, bool, int64_t, int64_t, const T*, int64_t,  \
                                                 const T*, const T*, const T*, const T*, int64_t, \
                                                 T*, int64_t, T*);                                \
  template void CpuExecutor<T>::rnn_backward_pass(int, bool, int64_t, int64_t, const T*, int64_t, \
                                                  const T*, int64_t, const T*, T*, int64_t);      \
  template void CpuExecutor<T>::lstm_backward_pass(int, int64_t, int64_t, const T*, const T*,     \
                                                   const T*, const T*, int64_t, const T*,         \
                                                   const T*, T*, int64_t, T*);                    \
  template void CpuExecutor<T>::gru_backward_pass(int, int64_t, int64_t, const T*, const T*,      \
                                                  int64_t, const T*, int64_t, const T*, T*,       \
                                                  int64_t, T*, int64_t, T*);

RECUR_INSTANTIATE_POINTWISE(float)
RECUR_INSTANTIATE_POINTWISE(double)

#undef RECUR_INSTANTIATE_POINTWISE

}  // namespace recur::cpu
