// A plain executor for testing the time-loop driver on its own: naive loops for every
// operation, GEMMs computed from the descriptor alone on strided buffers, every GEMM recorded,
// and every operand's extent checked to lie inside one known buffer (the scratch the driver
// allocates and the buffers the test registers). It shares nothing with kernels/cpu/, so the
// driver's descriptors and index arithmetic are checked independently of OpenBLAS and of the
// CPU executor; the CUDA executor translates the same descriptors.
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "kernels/common/cell_math.h"
#include "kernels/common/executor.h"
#include "kernels/common/gemm.h"
#include "recur/random.h"

namespace recur::test {

template <class T>
class NaiveExecutor {
 public:
  using value_type = T;

  struct Recorded {
    int lane;
    GemmDesc g;
    const T* a;
    const T* b;
    T* c;
  };

  class Buffer {
   public:
    Buffer() = default;
    Buffer(NaiveExecutor* owner, int64_t n) : owner_(owner), data_(new T[n > 0 ? n : 1]) {
      // Scratch starts as NaN: anything read before it is written poisons the result.
      for (int64_t i = 0; i < n; ++i) data_[i] = std::numeric_limits<T>::quiet_NaN();
      owner_->add_region(data_.get(), n, "scratch");
    }
    Buffer(Buffer&&) = default;
    ~Buffer() {
      if (owner_ && data_) owner_->remove_region(data_.get());
    }
    T* data() const { return data_.get(); }

   private:
    NaiveExecutor* owner_ = nullptr;
    std::unique_ptr<T[]> data_;
  };

  Buffer alloc(int64_t n) {
    ++allocs;
    return Buffer(this, n);
  }

  // Registers a caller buffer of n elements, so that GEMM operands inside it pass the check.
  void add_region(const T* p, int64_t n, std::string what) {
    regions_.push_back({p, n, std::move(what)});
  }
  void remove_region(const T* p) {
    for (size_t i = 0; i < regions_.size(); ++i) {
      if (regions_[i].p == p) {
        regions_.erase(regions_.begin() + i);
        return;
      }
    }
  }

  template <class Body>
  void parallel_lanes(int n, Body&& body) {
    EXPECT_TRUE(n == 1 || n == 2);
    EXPECT_FALSE(in_parallel_) << "nested parallel_lanes";
    in_parallel_ = true;
    lanes_ = n;
    for (int lane = 0; lane < n; ++lane) body(lane);
    in_parallel_ = false;
    lanes_ = 1;
  }

  void gemm(int lane, const GemmDesc& g, const T* a, const T* b, T* c) {
    check_lane(lane);
    g.validate();
    gemms.push_back({lane, g, a, b, c});
    // Extents: the last element touched is (rows-1)*ld + cols-1 of each stored matrix.
    check_extent(a, g.trans_a ? g.k : g.m, g.trans_a ? g.m : g.k, g.lda, "gemm A");
    check_extent(b, g.trans_b ? g.n : g.k, g.trans_b ? g.k : g.n, g.ldb, "gemm B");
    check_extent(c, g.m, g.n, g.ldc, "gemm C");
    // executor.h: without trans_a, B is a weight matrix (executors may cache it per call).
    if (!g.trans_a) {
      const std::string region = region_of(b);
      EXPECT_TRUE(region == "weight_ih" || region == "weight_hh")
          << "gemm B without trans_a is " << region << ", not a weight matrix";
    }
    for (int64_t i = 0; i < g.m; ++i) {
      for (int64_t j = 0; j < g.n; ++j) {
        double s = 0;
        for (int64_t p = 0; p < g.k; ++p) {
          const T av = g.trans_a ? a[p * g.lda + i] : a[i * g.lda + p];
          const T bv = g.trans_b ? b[j * g.ldb + p] : b[p * g.ldb + j];
          s += static_cast<double>(av) * bv;
        }
        T& cv = c[i * g.ldc + j];
        cv = static_cast<T>(g.alpha * s + (g.beta == 0.0 ? 0.0 : g.beta * cv));
      }
    }
  }

  void fill(int lane, int64_t n, T value, T* dst) {
    check_lane(lane);
    check_extent(dst, 1, n, n, "fill");
    for (int64_t i = 0; i < n; ++i) dst[i] = value;
  }
  void copy_2d(int lane, int64_t rows, int64_t cols, const T* src, int64_t lds, T* dst,
               int64_t ldd) {
    check_lane(lane);
    check_extent(src, rows, cols, lds, "copy_2d src");
    check_extent(dst, rows, cols, ldd, "copy_2d dst");
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < cols; ++c) dst[r * ldd + c] = src[r * lds + c];
  }
  void transpose_01(int lane, int64_t n0, int64_t n1, int64_t f, const T* src, T* dst) {
    check_lane(lane);
    check_extent(src, 1, n0 * n1 * f, n0 * n1 * f, "transpose src");
    check_extent(dst, 1, n0 * n1 * f, n0 * n1 * f, "transpose dst");
    for (int64_t i = 0; i < n0; ++i)
      for (int64_t j = 0; j < n1; ++j)
        for (int64_t c = 0; c < f; ++c) dst[(j * n0 + i) * f + c] = src[(i * n1 + j) * f + c];
  }
  void dropout(int lane, uint64_t seed, int64_t layer, double p, int64_t n, const T* src, T* dst) {
    check_lane(lane);
    for (int64_t e = 0; e < n; ++e) {
      dst[e] = p >= 1.0                          ? T(0)
               : dropout_keep(seed, layer, e, p) ? static_cast<T>(src[e] / (1.0 - p))
                                                 : T(0);
    }
  }
  void column_sum(int lane, int64_t rows, int64_t cols, const T* src, int64_t lds, T* dst,
                  bool accumulate) {
    check_lane(lane);
    check_extent(src, rows, cols, lds, "column_sum src");
    for (int64_t j = 0; j < cols; ++j) {
      double s = accumulate ? dst[j] : 0.0;
      for (int64_t r = 0; r < rows; ++r) s += src[r * lds + j];
      dst[j] = static_cast<T>(s);
    }
  }

  // The pointwise passes, as written in executor.h: pre-activations with their biases, then
  // cell_math.h.
  void rnn_forward_pass(int lane, bool relu, int64_t B, int64_t H, const T* xproj, int64_t ldx,
                        const T* hproj, const T* b_ih, const T* b_hh, T* h_out, int64_t ldh) {
    check_lane(lane);
    for (int64_t b = 0; b < B; ++b) {
      for (int64_t j = 0; j < H; ++j) {
        const T x = xproj[b * ldx + j] + bias(b_ih, j);
        const T h = (hproj ? hproj[b * H + j] : T(0)) + bias(b_hh, j);
        h_out[b * ldh + j] = relu ? cell::rnn_relu_forward(x, h) : cell::rnn_tanh_forward(x, h);
      }
    }
  }
  void lstm_forward_pass(int lane, bool training, int64_t B, int64_t H, const T* xproj, int64_t ldx,
                         const T* hproj, const T* b_ih, const T* b_hh, const T* c_prev, T* c_out,
                         T* h_out, int64_t ldh, T* acts) {
    check_lane(lane);
    for (int64_t b = 0; b < B; ++b) {
      for (int64_t j = 0; j < H; ++j) {
        T a[4];
        for (int64_t k = 0; k < 4; ++k) {
          const int64_t u = k * H + j;
          a[k] = (xproj[b * ldx + u] + bias(b_ih, u)) +
                 ((hproj ? hproj[b * 4 * H + u] : T(0)) + bias(b_hh, u));
        }
        T c, h;
        const auto s = cell::lstm_forward(a[0], a[1], a[2], a[3], c_prev[b * H + j], &c, &h);
        c_out[b * H + j] = c;
        h_out[b * ldh + j] = h;
        if (training) {
          T* act = acts + b * 4 * H + j;
          act[0] = s.i, act[H] = s.f, act[2 * H] = s.g, act[3 * H] = s.o;
        }
      }
    }
  }
  void gru_forward_pass(int lane, bool training, int64_t B, int64_t H, const T* xproj, int64_t ldx,
                        const T* hproj, const T* b_ih, const T* b_hh, const T* h_prev, int64_t ldhp,
                        T* h_out, int64_t ldh, T* acts) {
    check_lane(lane);
    for (int64_t b = 0; b < B; ++b) {
      for (int64_t j = 0; j < H; ++j) {
        T x[3], h[3];
        for (int64_t k = 0; k < 3; ++k) {
          const int64_t u = k * H + j;
          x[k] = xproj[b * ldx + u] + bias(b_ih, u);
          h[k] = (hproj ? hproj[b * 3 * H + u] : T(0)) + bias(b_hh, u);
        }
        T out;
        const auto s =
            cell::gru_forward(x[0], x[1], x[2], h[0], h[1], h[2], h_prev[b * ldhp + j], &out);
        h_out[b * ldh + j] = out;
        if (training) {
          T* act = acts + b * 4 * H + j;
          act[0] = s.r, act[H] = s.z, act[2 * H] = s.n, act[3 * H] = s.h_n;
        }
      }
    }
  }
  void rnn_backward_pass(int lane, bool relu, int64_t B, int64_t H, const T* h_out, int64_t ldh,
                         const T* dy, int64_t lddy, const T* dh_in, T* dgates, int64_t ldg) {
    check_lane(lane);
    for (int64_t b = 0; b < B; ++b) {
      for (int64_t j = 0; j < H; ++j) {
        const T dh = dy[b * lddy + j] + (dh_in ? dh_in[b * H + j] : T(0));
        const T h = h_out[b * ldh + j];
        dgates[b * ldg + j] =
            relu ? cell::rnn_relu_backward(h, dh) : cell::rnn_tanh_backward(h, dh);
      }
    }
  }
  void lstm_backward_pass(int lane, int64_t B, int64_t H, const T* acts, const T* c,
                          const T* c_prev, const T* dy, int64_t lddy, const T* dh_in,
                          const T* dc_in, T* dgates, int64_t ldg, T* dc_out) {
    check_lane(lane);
    for (int64_t b = 0; b < B; ++b) {
      for (int64_t j = 0; j < H; ++j) {
        const int64_t u = b * H + j;
        const T* act = acts + b * 4 * H + j;
        const cell::LstmActs<T> s{act[0], act[H], act[2 * H], act[3 * H]};
        const T dh = dy[b * lddy + j] + (dh_in ? dh_in[u] : T(0));
        const auto g = cell::lstm_backward(s, c[u], c_prev[u], dh, dc_in ? dc_in[u] : T(0));
        T* dg = dgates + b * ldg + j;
        dg[0] = g.d_i, dg[H] = g.d_f, dg[2 * H] = g.d_g, dg[3 * H] = g.d_o;
        dc_out[u] = g.dc_prev;
      }
    }
  }
  void gru_backward_pass(int lane, int64_t B, int64_t H, const T* acts, const T* h_prev,
                         int64_t ldhp, const T* dy, int64_t lddy, const T* dh_in, T* dgates_x,
                         int64_t ldgx, T* dgates_h, int64_t ldgh, T* dh_out) {
    check_lane(lane);
    for (int64_t b = 0; b < B; ++b) {
      for (int64_t j = 0; j < H; ++j) {
        const int64_t u = b * H + j;
        const T* act = acts + b * 4 * H + j;
        const cell::GruActs<T> s{act[0], act[H], act[2 * H], act[3 * H]};
        const T dh = dy[b * lddy + j] + (dh_in ? dh_in[u] : T(0));
        const auto g = cell::gru_backward(s, h_prev[b * ldhp + j], dh);
        T* gx = dgates_x + b * ldgx + j;
        T* gh = dgates_h + b * ldgh + j;
        gx[0] = gh[0] = g.d_r;
        gx[H] = gh[H] = g.d_z;
        gx[2 * H] = g.dx_n;
        gh[2 * H] = g.dh_n;
        dh_out[u] = g.dh_prev;
      }
    }
  }

  std::vector<Recorded> gemms;
  int allocs = 0;

 private:
  struct Region {
    const T* p;
    int64_t n;
    std::string what;
  };

  static T bias(const T* b, int64_t i) { return b ? b[i] : T(0); }

  void check_lane(int lane) {
    EXPECT_TRUE(lane >= 0 && lane < lanes_) << "lane " << lane << " with " << lanes_ << " lanes";
    if (!in_parallel_) {
      EXPECT_EQ(lane, kMainLane) << "work outside parallel_lanes on lane " << lane;
    }
  }

  // The name of the region holding p ("" when none does).
  std::string region_of(const T* p) const {
    for (const Region& r : regions_) {
      if (p >= r.p && p < r.p + r.n) return r.what;
    }
    return "";
  }

  // [rows, cols] with row stride ld starting at p must lie inside one region.
  void check_extent(const T* p, int64_t rows, int64_t cols, int64_t ld, const char* what) {
    if (rows == 0 || cols == 0) return;
    const int64_t last = (rows - 1) * ld + cols - 1;
    for (const Region& r : regions_) {
      if (p >= r.p && p < r.p + r.n) {
        EXPECT_LT(p - r.p + last, r.n) << what << " overruns " << r.what;
        return;
      }
    }
    ADD_FAILURE() << what << " points outside every known buffer";
  }

  std::vector<Region> regions_;
  bool in_parallel_ = false;
  int lanes_ = 1;
};

}  // namespace recur::test
