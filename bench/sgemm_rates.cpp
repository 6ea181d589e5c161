#include "sgemm_rates.h"

#include <vector>

#include "kernels/cpu/blas.h"
#include "kernels/cpu/cpu_executor.h"
#include "recur/random.h"
#if RECUR_WITH_ONEDNN
#include <oneapi/dnnl/dnnl.h>
#endif

namespace recur::bench {

SgemmRates measure_sgemm_rates(int64_t n, const TimingOptions& timing) {
  Rng rng(7);
  std::vector<float> a(static_cast<size_t>(n * n)), b(a.size()), c(a.size());
  for (float& x : a) x = static_cast<float>(rng.uniform(-1.0, 1.0));
  for (float& x : b) x = static_cast<float>(rng.uniform(-1.0, 1.0));
  const double flops = 2.0 * n * n * n;
  SgemmRates r;
  if (cpu::active_isa() >= cpu::Isa::Avx2) {
    cpu::ThreadPool& pool = cpu::ThreadPool::instance();
    cpu::BlasSingleThreaded blas;
    GemmDesc g;
    g.m = g.n = g.k = n;
    g.lda = g.ldb = g.ldc = n;
    const Timing t = measure(
        [&] {
          // A fresh executor per call: B is packed inside each timed call, as in a driver call.
          cpu::CpuExecutor<float> ex(pool, cpu::Team{0, pool.size()});
          const double t0 = now_s();
          ex.gemm(0, g, a.data(), b.data(), c.data());
          return now_s() - t0;
        },
        timing);
    r.recur_gflops = flops / t.median_s * 1e-9;
  }
#if RECUR_WITH_ONEDNN
  const Timing t = measure(
      [&] {
        const double t0 = now_s();
        dnnl_sgemm('N', 'N', n, n, n, 1.0f, a.data(), n, b.data(), n, 0.0f, c.data(), n);
        return now_s() - t0;
      },
      timing);
  r.onednn_gflops = flops / t.median_s * 1e-9;
#endif
  return r;
}

}  // namespace recur::bench
