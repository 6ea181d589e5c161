// The CPU executor's memory, GEMM and data-movement operations; the pointwise passes are in
// cpu_pointwise.cpp.
#include "kernels/cpu/cpu_executor.h"

#include <algorithm>
#include <cstring>
#include <type_traits>

#include "kernels/cpu/blas.h"
#include "kernels/cpu/packed_gemm.h"
#include "recur/random.h"

namespace recur::cpu {
namespace {

// [begin, end) of part `i` of `parts` over n items, in chunks of `align` items.
inline void part_range(int64_t n, int i, int parts, int64_t align, int64_t* begin, int64_t* end) {
  const int64_t chunks = (n + align - 1) / align;
  *begin = std::min(n, chunks * i / parts * align);
  *end = std::min(n, chunks * (i + 1) / parts * align);
}

}  // namespace

template <class T>
CpuExecutor<T>::Buffer::Buffer(int64_t n) {
  RECUR_CHECK(n >= 0, "cpu executor: alloc of {} elements", n);
  if (n > 0) block_ = take_unique_block(static_cast<size_t>(n) * sizeof(T));
}

template <class T>
CpuExecutor<T>::CpuExecutor(ThreadPool& pool, Team team, double min_cost_per_part)
    : pool_(&pool),
      min_cost_(min_cost_per_part > 0 ? min_cost_per_part : 1e-300),
      all_(team),
      isa_(active_isa()) {
  lane_[0] = lane_[1] = all_;
  set_vector_pointwise(true);
}

template <class T>
void CpuExecutor<T>::set_vector_pointwise(bool on) {
  vector_ = on && std::is_same_v<T, float> && isa_ >= Isa::Avx2;
}

template <class T>
int CpuExecutor<T>::parts_for(Team team, double units) {
  if (units < 2 || team.size <= 1) return 1;
  if (units >= kBalanceUnits) return team.size * kBalanceParts;
  return units >= team.size ? team.size : static_cast<int>(units);
}

template <class T>
typename CpuExecutor<T>::PackedWeights& CpuExecutor<T>::packed_slot(int lane, const GemmDesc& g,
                                                                    const T* b, bool* fresh) {
  PackedWeights* slots = packed_[lane];
  *fresh = true;
  PackedWeights* pw = &slots[kPackedSlots - 1];  // scratch: B is not a parameter
  if (!g.trans_a) {
    pw = &slots[0];
    for (int s = 0; s + 1 < kPackedSlots; ++s) {
      PackedWeights& w = slots[s];
      if (w.src == b && w.ldb == g.ldb && w.trans_b == g.trans_b && w.k == g.k && w.n == g.n) {
        *fresh = false;
        pw = &w;
        break;
      }
      if (w.used < pw->used) pw = &w;
    }
    pw->used = ++packed_clock_[lane];
  }
  if (*fresh) {
    pw->src = nullptr;
    const int64_t need = packed_size(g.k, g.n, strip_width(isa_));
    if (need > pw->capacity) {  // grows at most a few times per call, at a layer's first step
      pw->data = Buffer(need);
      pw->capacity = need;
    }
  }
  return *pw;
}

template <class T>
bool CpuExecutor<T>::gemm_packed(int lane, const GemmDesc& g, const T* a, const T* b, T* c) {
  if constexpr (!std::is_same_v<T, float>) {
    return false;
  } else {
    if (isa_ < Isa::Avx2 || g.m == 0 || g.n == 0 || g.k == 0) return false;
    const int64_t nr = strip_width(isa_);
    if (packed_size(g.k, g.n, nr) > kPackedMaxElems) return false;
    // A single row against W_hh is a GEMV (blas.cpp): one row of accumulators would wait on
    // FMA latency.
    if (g.m == 1 && g.trans_b && !g.trans_a) return false;
    bool fresh = false;
    PackedWeights& pw = packed_slot(lane, g, b, &fresh);
    float* packed = pw.data.data();
    const PackedProduct p{g.m,
                          g.k,
                          static_cast<float>(g.alpha),
                          a,
                          g.trans_a ? 1 : g.lda,
                          g.trans_a ? g.lda : 1,
                          packed,
                          static_cast<float>(g.beta),
                          c,
                          g.ldc};
    // By columns, in whole strips, one part per thread: each part packs (the first time) and
    // then multiplies its own strips, so they land in the cache of the core that uses them;
    // each also copies A's blocks for itself (packed_kernel.h), which more parts would repeat.
    split(
        lane, static_cast<double>(g.m) * g.n * g.k,
        [&](int i, int parts) {
          int64_t begin, end;
          part_range(g.n, i, parts, nr, &begin, &end);
          if (begin >= end) return;
          if (fresh) pack_strips(b, g.ldb, g.trans_b, g.k, begin, end, nr, packed);
          ::recur::cpu::gemm_packed(isa_, p, begin, end);
        },
        /*balance=*/false);
    if (fresh && !g.trans_a) {
      pw.src = b;
      pw.ldb = g.ldb;
      pw.trans_b = g.trans_b;
      pw.k = g.k;
      pw.n = g.n;
    }
    return true;
  }
}

template <class T>
void CpuExecutor<T>::gemm(int lane, const GemmDesc& g, const T* a, const T* b, T* c) {
  g.validate();
  if (gemm_packed(lane, g, a, b, c)) return;
  const double cost = static_cast<double>(g.m) * g.n * std::max<int64_t>(g.k, 1);
  // Split C by columns when it is short (the per-step products: each thread then keeps its
  // own slice of the weights hot in its cache), else by rows.
  const bool by_cols = g.m < 64 || g.n >= g.m;
  split(lane, cost, [&](int i, int parts) {
    GemmDesc p = g;
    int64_t begin, end;
    if (by_cols) {
      part_range(g.n, i, parts, 16, &begin, &end);
      p.n = end - begin;
      if (p.n == 0) return;
      blas_gemm(p, a, b + (g.trans_b ? begin * g.ldb : begin), c + begin);
    } else {
      part_range(g.m, i, parts, 1, &begin, &end);
      p.m = end - begin;
      if (p.m == 0) return;
      blas_gemm(p, a + (g.trans_a ? begin : begin * g.lda), b, c + begin * g.ldc);
    }
  });
}

template <class T>
void CpuExecutor<T>::fill(int lane, int64_t n, T value, T* dst) {
  split(lane, n * 0.25, [&](int i, int parts) {
    int64_t begin, end;
    part_range(n, i, parts, 16, &begin, &end);
    std::fill(dst + begin, dst + end, value);
  });
}

template <class T>
void CpuExecutor<T>::copy_2d(int lane, int64_t rows, int64_t cols, const T* src, int64_t lds,
                             T* dst, int64_t ldd) {
  if (rows * cols == 0) return;
  if (lds == cols && ldd == cols) {  // one dense block
    split(lane, rows * cols * 0.25, [&](int i, int parts) {
      int64_t begin, end;
      part_range(rows * cols, i, parts, 16, &begin, &end);
      if (end > begin) std::memcpy(dst + begin, src + begin, (end - begin) * sizeof(T));
    });
    return;
  }
  split(lane, rows * cols * 0.25, [&](int i, int parts) {
    int64_t begin, end;
    part_range(rows, i, parts, 1, &begin, &end);
    for (int64_t r = begin; r < end; ++r) {
      std::memcpy(dst + r * ldd, src + r * lds, cols * sizeof(T));
    }
  });
}

template <class T>
void CpuExecutor<T>::transpose_01(int lane, int64_t n0, int64_t n1, int64_t f, const T* src,
                                  T* dst) {
  // Row (i, j) of src, f contiguous values, goes to row (j, i) of dst.
  split(lane, n0 * n1 * f * 0.25, [&](int part, int parts) {
    int64_t begin, end;
    part_range(n1, part, parts, 1, &begin, &end);
    for (int64_t j = begin; j < end; ++j) {
      for (int64_t i = 0; i < n0; ++i) {
        std::memcpy(dst + (j * n0 + i) * f, src + (i * n1 + j) * f, f * sizeof(T));
      }
    }
  });
}

template <class T>
void CpuExecutor<T>::dropout(int lane, uint64_t seed, int64_t layer, double p, int64_t n,
                             const T* src, T* dst) {
  if (p >= 1.0) {
    fill(lane, n, T(0), dst);
    return;
  }
  const T scale = static_cast<T>(1.0 / (1.0 - p));
  split(lane, n * 4.0, [&](int i, int parts) {
    int64_t begin, end;
    part_range(n, i, parts, 16, &begin, &end);
    for (int64_t e = begin; e < end; ++e) {
      dst[e] = dropout_keep(seed, layer, e, p) ? src[e] * scale : T(0);
    }
  });
}

template <class T>
void CpuExecutor<T>::gather_rows(int lane, int64_t rows, int64_t cols, const int64_t* index,
                                 const T* src, int64_t lds, T* dst, int64_t ldd) {
  if (rows * cols == 0) return;
  split(lane, rows * cols * 0.25, [&](int i, int parts) {
    int64_t begin, end;
    part_range(rows, i, parts, 1, &begin, &end);
    for (int64_t r = begin; r < end; ++r) {
      if (index[r] >= 0) {
        std::memcpy(dst + r * ldd, src + index[r] * lds, cols * sizeof(T));
      } else {
        std::fill(dst + r * ldd, dst + r * ldd + cols, T(0));
      }
    }
  });
}

template <class T>
void CpuExecutor<T>::dropout_rows(int lane, uint64_t seed, int64_t layer, double p, int64_t rows,
                                  int64_t cols, const int64_t* index, const T* src, T* dst) {
  if (p >= 1.0) {
    fill(lane, rows * cols, T(0), dst);
    return;
  }
  const T scale = static_cast<T>(1.0 / (1.0 - p));
  split(lane, rows * cols * 4.0, [&](int i, int parts) {
    int64_t begin, end;
    part_range(rows, i, parts, 1, &begin, &end);
    for (int64_t r = begin; r < end; ++r) {
      for (int64_t c = 0; c < cols; ++c) {
        const int64_t e = index[r] * cols + c;
        dst[r * cols + c] = dropout_keep(seed, layer, e, p) ? src[r * cols + c] * scale : T(0);
      }
    }
  });
}

template <class T>
void CpuExecutor<T>::column_sum(int lane, int64_t rows, int64_t cols, const T* src, int64_t lds,
                                T* dst, bool accumulate) {
  // Each thread owns a set of columns and adds the rows in order, in double: the result does
  // not depend on the thread count. Columns go in blocks so the accumulators stay in L1.
  constexpr int64_t kBlock = 256;
  split(lane, static_cast<double>(rows) * cols, [&](int part, int parts) {
    int64_t begin, end;
    part_range(cols, part, parts, 16, &begin, &end);
    double acc[kBlock];
    for (int64_t j0 = begin; j0 < end; j0 += kBlock) {
      const int64_t w = std::min(kBlock, end - j0);
      for (int64_t j = 0; j < w; ++j) acc[j] = accumulate ? dst[j0 + j] : 0.0;
      for (int64_t r = 0; r < rows; ++r) {
        const T* row = src + r * lds + j0;
        for (int64_t j = 0; j < w; ++j) acc[j] += row[j];
      }
      for (int64_t j = 0; j < w; ++j) dst[j0 + j] = static_cast<T>(acc[j]);
    }
  });
}

template class CpuExecutor<float>;
template class CpuExecutor<double>;

}  // namespace recur::cpu
