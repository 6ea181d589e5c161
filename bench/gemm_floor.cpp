#include "gemm_floor.h"

#include <cblas.h>

#include <type_traits>
#include <vector>

#include "recur/error.h"
#include "recur/random.h"

namespace recur::bench {

namespace {

template <class T>
std::vector<T> random_buffer(int64_t n, Rng& rng) {
  std::vector<T> v(static_cast<size_t>(n));
  for (T& x : v) x = static_cast<T>(rng.uniform(-1.0, 1.0));
  return v;
}

template <class T>
double time_gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k,
                 const TimingOptions& timing) {
  Rng rng(0x6E6D6D ^ static_cast<uint64_t>(m * 31 + n * 17 + k));
  const std::vector<T> a = random_buffer<T>(m * k, rng);
  const std::vector<T> b = random_buffer<T>(k * n, rng);
  std::vector<T> c(static_cast<size_t>(m * n));
  // Row-major leading dimensions of the stored (untransposed) operands.
  const int lda = static_cast<int>(trans_a ? m : k);
  const int ldb = static_cast<int>(trans_b ? k : n);
  const int ldc = static_cast<int>(n);
  const CBLAS_TRANSPOSE ta = trans_a ? CblasTrans : CblasNoTrans;
  const CBLAS_TRANSPOSE tb = trans_b ? CblasTrans : CblasNoTrans;
  const auto call = [&] {
    const double t0 = now_s();
    if constexpr (std::is_same_v<T, float>) {
      cblas_sgemm(CblasRowMajor, ta, tb, static_cast<int>(m), static_cast<int>(n),
                  static_cast<int>(k), 1.0f, a.data(), lda, b.data(), ldb, 0.0f, c.data(), ldc);
    } else {
      cblas_dgemm(CblasRowMajor, ta, tb, static_cast<int>(m), static_cast<int>(n),
                  static_cast<int>(k), 1.0, a.data(), lda, b.data(), ldb, 0.0, c.data(), ldc);
    }
    return now_s() - t0;
  };
  return measure(call, timing).median_s;
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
