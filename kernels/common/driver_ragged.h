// Variable-length batches (RnnInputs::lengths): where each step's rows lie, and the row indices
// that move data between the caller's padded layout and the driver's packed one.
//
// The batch is ordered by length once per call (descending, stable: sorted row i is batch row
// perm[i]). Step t then has bs[t] active rows (PyTorch's batch_sizes: the sequences with
// length > t), which are sorted rows [0, bs[t]); every sequence buffer of the driver (the layer
// input X, the projections, the layer outputs Y, the saved activations and cell states, dG)
// holds step t's rows at packed rows [off[t], off[t] + bs[t]), off[t] = bs[0] + .. + bs[t-1],
// N = off[T] rows in all: PyTorch's PackedSequence layout. So the GEMMs and the pointwise steps
// of step t run on bs[t] rows (m = bs[t], B = bs[t]), and the input projection, the weight
// gradients and dX on the N real tokens: the cost follows the tokens, not B*T.
//
// The previous step's rows are the first ones of its block: rows [0, bs[t]) of step t-1 (the
// forward direction: its rows only retire as t grows), and rows [0, bs[t+1]) of step t+1 (the
// reverse direction, whose rows join as t falls: rows [bs[t+1], bs[t]) start at t, from h0).
//
// A batch without lengths is the same schedule with bs[t] = B, off[t] = t*B: the padded layout
// the driver has always used, so the time loops are written once for both.
#pragma once

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <vector>

#include "recur/error.h"

namespace recur::driver::detail {

class Schedule {
 public:
  // `lengths` [B], each in [1, T], or empty (every sequence has T steps).
  Schedule(int64_t T, int64_t B, const std::vector<int64_t>& lengths)
      : T_(T), B_(B), ragged_(!lengths.empty()) {
    bs_.assign(T + 1, 0);
    off_.assign(T + 1, 0);
    if (!ragged_) {
      for (int64_t t = 0; t < T; ++t) bs_[t] = B;
    } else {
      RECUR_CHECK(static_cast<int64_t>(lengths.size()) == B, "driver: {} lengths for a batch of {}",
                  lengths.size(), B);
      perm_.resize(B);
      std::iota(perm_.begin(), perm_.end(), int64_t{0});
      std::stable_sort(perm_.begin(), perm_.end(),
                       [&](int64_t a, int64_t b) { return lengths[a] > lengths[b]; });
      inv_.resize(B);
      len_.resize(B);
      for (int64_t i = 0; i < B; ++i) {
        inv_[perm_[i]] = i;
        len_[i] = lengths[perm_[i]];
        RECUR_CHECK(len_[i] >= 1 && len_[i] <= T, "driver: length {} outside [1, {}]", len_[i], T);
        for (int64_t t = 0; t < len_[i]; ++t) ++bs_[t];
        sorted_ = sorted_ && perm_[i] == i;
      }
    }
    for (int64_t t = 0; t < T; ++t) off_[t + 1] = off_[t] + bs_[t];
  }

  bool ragged() const { return ragged_; }
  bool sorted() const { return !ragged_ || sorted_; }  // perm is the identity
  int64_t rows() const { return off_[T_]; }            // N
  int64_t rows(int64_t t) const { return bs_[t]; }     // bs[t]
  int64_t offset(int64_t t) const { return off_[t]; }  // off[t]
  // Rows [0, continuing) of step t carry on from the previous step of direction dir (t-1, or
  // t+1 for the reverse direction); rows [continuing, bs[t]) start there, from h0 / c0.
  int64_t continuing(int64_t dir, int64_t t) const {
    if (dir == 0) return t > 0 ? bs_[t] : 0;
    return bs_[t + 1];
  }
  const std::vector<int64_t>& perm() const { return perm_; }
  const std::vector<int64_t>& inv() const { return inv_; }
  int64_t sorted_length(int64_t i) const { return len_[i]; }

  // The row indices the gathers use, all in one array (offsets below): the caller uploads it
  // to the executor's memory once per call. `batch_first`: the caller's sequence tensors are
  // [B, T, F], else [T, B, F]. Index -1 means "a zero row".
  struct Indices {
    std::vector<int64_t> all;
    int64_t perm = 0;           // [B]: sorted row i <- batch row perm[i] (h0, c0, dh_n, dc_n)
    int64_t inv = 0;            // [B]: batch row b <- sorted row inv[b] (c_n inference, dh0, dc0)
    int64_t pack = 0;           // [N]: packed row <- row of the caller's [T*B] sequence layout
    int64_t unpack = 0;         // [T*B]: row of the caller's layout <- packed row, or -1 (padding)
    int64_t padded = 0;         // [N]: the packed row's seq-major padded row t*B + b (dropout)
    int64_t last[2] = {};       // [B]: batch row b <- packed row of its last step (h_n, c_n)
    int64_t prev[2] = {};       // [N]: packed row of the token's h_prev, or -1 (h0)
    int64_t first[2] = {};      // [B]: sorted row i <- packed row of its first step (h_prev = h0)
    int64_t last_rows[2] = {};  // [N]: packed row <- batch row whose last step it is, or -1
  };
  Indices indices(bool batch_first) const {
    RECUR_ASSERT(ragged_);
    Indices x;
    std::vector<int64_t>& v = x.all;
    const int64_t N = rows();
    auto start = [&](int64_t* at, int64_t n) {
      *at = static_cast<int64_t>(v.size());
      v.resize(v.size() + n, -1);
    };
    start(&x.perm, B_);
    std::copy(perm_.begin(), perm_.end(), v.begin() + x.perm);
    start(&x.inv, B_);
    std::copy(inv_.begin(), inv_.end(), v.begin() + x.inv);
    start(&x.pack, N);
    start(&x.unpack, T_ * B_);
    start(&x.padded, N);
    for (int64_t t = 0; t < T_; ++t) {
      for (int64_t i = 0; i < bs_[t]; ++i) {
        const int64_t b = perm_[i], n = off_[t] + i;
        const int64_t row = batch_first ? b * T_ + t : t * B_ + b;
        v[x.pack + n] = row;
        v[x.unpack + row] = n;
        v[x.padded + n] = t * B_ + b;
      }
    }
    for (int dir = 0; dir < 2; ++dir) {
      start(&x.last[dir], B_);
      start(&x.prev[dir], N);
      start(&x.first[dir], B_);
      start(&x.last_rows[dir], N);
      for (int64_t i = 0; i < B_; ++i) {
        const int64_t t_last = dir == 0 ? len_[i] - 1 : 0;
        const int64_t t_first = dir == 0 ? 0 : len_[i] - 1;
        v[x.last[dir] + perm_[i]] = off_[t_last] + i;
        v[x.first[dir] + i] = off_[t_first] + i;
        v[x.last_rows[dir] + off_[t_last] + i] = perm_[i];
      }
      for (int64_t t = 0; t < T_; ++t) {
        const int64_t tp = dir == 0 ? t - 1 : t + 1;
        for (int64_t i = 0; i < continuing(dir, t); ++i)
          v[x.prev[dir] + off_[t] + i] = off_[tp] + i;
      }
    }
    return x;
  }

 private:
  int64_t T_, B_;
  bool ragged_;
  bool sorted_ = true;
  std::vector<int64_t> bs_;    // [T + 1], bs[T] = 0
  std::vector<int64_t> off_;   // [T + 1], off[T] = N
  std::vector<int64_t> perm_;  // [B], ragged only
  std::vector<int64_t> inv_;   // [B], ragged only
  std::vector<int64_t> len_;   // [B], sorted lengths, ragged only
};

// p + n, or null for a null p (the nullable operands).
template <class P>
P* offset_or_null(P* p, int64_t n) {
  return p ? p + n : nullptr;
}

// h0 (or c0) of state index i as the time loop reads it: [B, H], in the length order for a
// ragged batch (gathered into `sorted`), zeros when not given.
template <class T>
const T* initial_state(const T* given, T* sorted, const T* zeros, const Schedule& sched, int64_t i,
                       int64_t BH) {
  if (!given) return zeros;
  return sched.sorted() ? given + i * BH : sorted + i * BH;
}

}  // namespace recur::driver::detail
