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

#include "kernels/common/cell_step.h"
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

  struct Index {
    std::vector<int64_t> v;
    const int64_t* data() const { return v.empty() ? nullptr : v.data(); }
  };
  Index upload_index(const std::vector<int64_t>& host) { return Index{host}; }

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
      EXPECT_TRUE(region == "weight_ih" || region == "weight_hh" || region == "weight_hr")
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
  void gather_rows(int lane, int64_t rows, int64_t cols, const int64_t* index, const T* src,
                   int64_t lds, T* dst, int64_t ldd) {
    check_lane(lane);
    check_extent(dst, rows, cols, ldd, "gather_rows dst");
    for (int64_t r = 0; r < rows; ++r) {
      if (index[r] >= 0) check_extent(src + index[r] * lds, 1, cols, cols, "gather_rows src");
      for (int64_t c = 0; c < cols; ++c)
        dst[r * ldd + c] = index[r] >= 0 ? src[index[r] * lds + c] : T(0);
    }
  }
  void dropout_rows(int lane, uint64_t seed, int64_t layer, double p, int64_t rows, int64_t cols,
                    const int64_t* index, const T* src, T* dst) {
    check_lane(lane);
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < cols; ++c) {
        const int64_t e = index[r] * cols + c, o = r * cols + c;
        dst[o] = p >= 1.0                          ? T(0)
                 : dropout_keep(seed, layer, e, p) ? static_cast<T>(src[o] / (1.0 - p))
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

  // The pointwise steps: cell_step.h's per-unit bodies, one unit after the other.
  template <class Step>
  void run_step(int lane, const Step& step) {
    check_lane(lane);
    const step::ScalarIo<T> io;
    for (int64_t b = 0; b < step.B; ++b) {
      for (int64_t j = 0; j < step.H; ++j) step::unit(step, b, j, io);
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
