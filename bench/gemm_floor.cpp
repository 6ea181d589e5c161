#include "gemm_floor.h"

#include <cblas.h>

#include <algorithm>
#include <functional>
#include <type_traits>
#include <vector>

#include "recur/error.h"
#include "recur/random.h"

namespace recur::bench {

namespace {

// Below this many FLOPs a single-threaded GEMM can beat OpenBLAS's threaded one (whose thread
// hand-off costs more than the work); above it the single-threaded variant is not tried.
constexpr double kSingleThreadMaxFlops = 5e8;

template <class T>
std::vector<T> random_buffer(int64_t n, Rng& rng) {
  std::vector<T> v(static_cast<size_t>(n));
  for (T& x : v) x = static_cast<T>(rng.uniform(-1.0, 1.0));
  return v;
}

void gemm(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int m, int n, int k, const float* a, int lda,
          const float* b, int ldb, float* c, int ldc) {
  cblas_sgemm(CblasRowMajor, ta, tb, m, n, k, 1.0f, a, lda, b, ldb, 0.0f, c, ldc);
}
void gemm(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int m, int n, int k, const double* a, int lda,
          const double* b, int ldb, double* c, int ldc) {
  cblas_dgemm(CblasRowMajor, ta, tb, m, n, k, 1.0, a, lda, b, ldb, 0.0, c, ldc);
}
void gemv(CBLAS_TRANSPOSE t, int rows, int cols, const float* a, int lda, const float* x, int incx,
          float* y) {
  cblas_sgemv(CblasRowMajor, t, rows, cols, 1.0f, a, lda, x, incx, 0.0f, y, 1);
}
void gemv(CBLAS_TRANSPOSE t, int rows, int cols, const double* a, int lda, const double* x,
          int incx, double* y) {
  cblas_dgemv(CblasRowMajor, t, rows, cols, 1.0, a, lda, x, incx, 0.0, y, 1);
}

// Runs `body` with OpenBLAS limited to `threads`, restoring the previous setting.
double with_threads(int threads, const std::function<double()>& body) {
  const int previous = openblas_get_num_threads();
  openblas_set_num_threads(threads);
  try {
    const double r = body();
    openblas_set_num_threads(previous);
    return r;
  } catch (...) {
    openblas_set_num_threads(previous);
    throw;
  }
}

// The fastest of the ways BLAS offers to compute C[m, n] = op(A)[m, k] op(B)[k, n] (row-major,
// A stored [m, k] or [k, m] with trans_a, B stored [k, n] or [n, k] with trans_b): GEMM with
// OpenBLAS's threads, or GEMV when m or n is 1; each also on one thread for small products.
template <class T>
double time_gemm(bool trans_a, bool trans_b, int64_t m64, int64_t n64, int64_t k64,
                 const TimingOptions& timing) {
  Rng rng(0x6E6D6D ^ static_cast<uint64_t>(m64 * 31 + n64 * 17 + k64));
  const std::vector<T> a = random_buffer<T>(m64 * k64, rng);
  const std::vector<T> b = random_buffer<T>(k64 * n64, rng);
  std::vector<T> c(static_cast<size_t>(m64 * n64));
  const int m = static_cast<int>(m64), n = static_cast<int>(n64), k = static_cast<int>(k64);
  const int lda = std::max(1, trans_a ? m : k);
  const int ldb = std::max(1, trans_b ? k : n);
  const int ldc = std::max(1, n);
  const CBLAS_TRANSPOSE ta = trans_a ? CblasTrans : CblasNoTrans;
  const CBLAS_TRANSPOSE tb = trans_b ? CblasTrans : CblasNoTrans;

  const auto timed = [&](const std::function<void()>& f) {
    return measure(
               [&] {
                 const double t0 = now_s();
                 f();
                 return now_s() - t0;
               },
               timing)
        .median_s;
  };
  const auto gemm_call = [&] {
    gemm(ta, tb, m, n, k, a.data(), lda, b.data(), ldb, c.data(), ldc);
  };

  std::vector<std::function<void()>> variants = {gemm_call};
  if (m == 1) {
    // c[n] = op(B)^T times the vector a (stride lda when A is stored transposed).
    const int inc_a = trans_a ? lda : 1;
    variants.push_back([&, inc_a] {
      if (trans_b) {
        gemv(CblasNoTrans, n, k, b.data(), ldb, a.data(), inc_a, c.data());
      } else {
        gemv(CblasTrans, k, n, b.data(), ldb, a.data(), inc_a, c.data());
      }
    });
  } else if (n == 1) {
    // c[m] = op(A) times the vector b (stride ldb when B is stored untransposed as [k, 1]).
    const int inc_b = trans_b ? 1 : ldb;
    variants.push_back([&, inc_b] {
      if (trans_a) {
        gemv(CblasTrans, k, m, a.data(), lda, b.data(), inc_b, c.data());
      } else {
        gemv(CblasNoTrans, m, k, a.data(), lda, b.data(), inc_b, c.data());
      }
    });
  }
  const bool small = 2.0 * m64 * n64 * k64 <= kSingleThreadMaxFlops;
  double best = 1e300;
  for (const auto& v : variants) {
    best = std::min(best, timed(v));
    if (small) best = std::min(best, with_threads(1, [&] { return timed(v); }));
  }
  return best;
}

}  // namespace

double GemmFloor::gemm_seconds(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k,
                               DType dtype) {
  RECUR_CHECK(dtype == DType::F32 || dtype == DType::F64, "GEMM floor: dtype {} not supported",
              dtype_name(dtype));
  const auto key = std::make_tuple(trans_a, trans_b, m, n, k, dtype);
  auto it = cache_.find(key);
  if (it != cache_.end()) return it->second;
  const double s = dtype == DType::F32 ? time_gemm<float>(trans_a, trans_b, m, n, k, timing_)
                                       : time_gemm<double>(trans_a, trans_b, m, n, k, timing_);
  cache_.emplace(key, s);
  return s;
}

double GemmFloor::seconds(const BenchCase& c, DType dtype) {
  const RnnSpec spec = c.spec();
  const int64_t GH = spec.gates() * c.H;
  const int64_t TB = c.T * c.B;
  const bool training = c.mode == Mode::Training;
  double total = 0;
  for (int64_t layer = 0; layer < c.L; ++layer) {
    const int64_t in = spec.layer_input_size(layer);
    double one = gemm_seconds(false, true, TB, GH, in, dtype) +
                 c.T * gemm_seconds(false, true, c.B, GH, c.H, dtype);
    if (training) {
      one += c.T * gemm_seconds(false, false, c.B, c.H, GH, dtype) +
             gemm_seconds(false, false, TB, in, GH, dtype) +
             gemm_seconds(true, false, GH, in, TB, dtype) +
             gemm_seconds(true, false, GH, c.H, TB, dtype);
    }
    total += one * spec.directions();
  }
  return total;
}

double GemmFloor::square_rate_gflops(int64_t n, DType dtype) {
  return 2.0 * n * n * n / gemm_seconds(false, false, n, n, n, dtype) * 1e-9;
}

}  // namespace recur::bench
