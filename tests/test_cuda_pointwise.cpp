// The fused pointwise kernels of every cell, forward (training and inference) and backward, on
// a GPU through the CUDA executor, against the same step run on the host by cell_step.h's
// per-unit body (whose arithmetic the driver sweeps check against cpu-ref): padded row strides
// (whose padding must stay untouched), optional operands present and absent, the permitted
// aliasing (c_out = c_prev, dc_out = dc_in, dh_out = dh_in), and H not a multiple of 32. Skips
// without a GPU.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "kernels/common/cell_step.h"
#include "test_cuda_support.h"
#if RECUR_WITH_CUDA
#include "kernels/cuda/cuda_executor.h"
#endif

namespace recur::test {
namespace {

#if RECUR_WITH_CUDA

using cuda::CudaContext;
using cuda::CudaExecutor;

constexpr int64_t B = 3, H = 37;
constexpr double kPad = 7.0;  // the value padding holds before and after

// A padded [B, width] matrix (row stride ld): random values, kPad in the padding.
template <class T>
std::vector<T> padded(int64_t width, int64_t ld, uint64_t seed, double lo = -1, double hi = 1) {
  std::vector<T> v = random_vec<T>(B * ld, seed, lo, hi);
  for (int64_t b = 0; b < B; ++b)
    for (int64_t c = width; c < ld; ++c) v[b * ld + c] = static_cast<T>(kPad);
  return v;
}

template <class T>
std::vector<T> pad_only(int64_t ld) {
  return std::vector<T>(static_cast<size_t>(B * ld), static_cast<T>(kPad));
}

// One operand of a step in both memories: the host copy and a device copy of the same values.
template <class T>
class Operand {
 public:
  explicit Operand(std::vector<T> values) : host_(std::move(values)), device_(host_) {}
  // The pointer a step on the device (or on the host) gets; null when `present` is false.
  T* get(bool device, bool present = true) {
    return present ? (device ? device_.get() : host_.data()) : nullptr;
  }
  // The GPU's result against the host's, padding included.
  ::testing::AssertionResult matches(const std::string& what) const {
    return near(device_.host(), host_, what);
  }

 private:
  std::vector<T> host_;
  DeviceVec<T> device_;
};

// Runs the step made by make(device) on the GPU through the executor, and the same step on the
// host with cell_step.h's body unit by unit, so the kernel's launch, indexing, coverage and
// aliasing are checked against the body the CPU runs.
template <class T, class Make>
void run_both(CudaExecutor<T>& ex, Make&& make) {
  ex.run_step(kMainLane, make(true));
  const auto host_step = make(false);
  const step::ScalarIo<T> io;
  for (int64_t b = 0; b < host_step.B; ++b)
    for (int64_t j = 0; j < host_step.H; ++j) step::unit(host_step, b, j, io);
}

class CudaPointwise : public ::testing::Test {
 protected:
  void SetUp() override {
    RECUR_SKIP_WITHOUT_CUDA();
    ctx_ = std::make_shared<CudaContext>(false);
  }
  template <class T>
  void lstm();
  template <class T>
  void gru();
  template <class T>
  void rnn();
  std::shared_ptr<CudaContext> ctx_;
};

template <class T>
void CudaPointwise::lstm() {
  CudaExecutor<T> ex(ctx_);
  const int64_t GH = 4 * H, ldx = GH + 5, ldh = 2 * H + 1, ldg = 2 * GH, lddy = 2 * H + 3;
  for (bool opt : {true, false}) {  // hproj, biases, dh_in, dc_in present or absent
    SCOPED_TRACE(opt ? "optional operands present" : "optional operands absent");
    Operand<T> x(padded<T>(GH, ldx, 1)), hp(random_vec<T>(B * GH, 2));
    Operand<T> bih(random_vec<T>(GH, 3)), bhh(random_vec<T>(GH, 4));
    for (bool training : {true, false}) {
      for (bool in_place : {false, true}) {  // c_out aliasing c_prev
        SCOPED_TRACE(std::string(training ? "training" : "inference") +
                     (in_place ? ", c in place" : ""));
        Operand<T> c_prev(random_vec<T>(B * H, 5)), c_out(std::vector<T>(B * H));
        Operand<T> h_out(pad_only<T>(ldh)), acts(std::vector<T>(B * GH));
        run_both(ex, [&](bool dev) {
          step::LstmForward<T> s;
          s.B = B, s.H = H;
          s.xproj = x.get(dev), s.ldx = ldx, s.hproj = hp.get(dev, opt);
          s.b_ih = bih.get(dev, opt), s.b_hh = bhh.get(dev, opt);
          s.c_prev = c_prev.get(dev);
          s.c_out = in_place ? c_prev.get(dev) : c_out.get(dev);
          s.h_out = h_out.get(dev), s.ldh = ldh;
          s.acts = acts.get(dev, training);
          return s;
        });
        EXPECT_TRUE(c_prev.matches("lstm c_prev"));
        EXPECT_TRUE(c_out.matches("lstm c"));
        EXPECT_TRUE(h_out.matches("lstm h (with padding)"));
        EXPECT_TRUE(acts.matches("lstm acts"));
      }
    }

    // Backward, from valid activations: i, f, o in (0, 1), g in (-1, 1).
    std::vector<T> act_values(B * GH);
    for (int64_t b = 0; b < B; ++b)
      for (int k = 0; k < 4; ++k) {
        const std::vector<T> v = random_vec<T>(H, 10 + k, k == 2 ? -0.9 : 0.05, 0.95);
        for (int64_t j = 0; j < H; ++j) act_values[b * GH + k * H + j] = v[j];
      }
    for (bool in_place : {false, true}) {  // dc_out aliasing dc_in
      if (in_place && !opt) continue;      // aliasing needs a dc_in
      SCOPED_TRACE(in_place ? "dc in place" : "dc apart");
      Operand<T> acts(act_values), c(random_vec<T>(B * H, 20)), c_prev(random_vec<T>(B * H, 5));
      Operand<T> dy(padded<T>(H, lddy, 21)), dh_in(random_vec<T>(B * H, 22));
      Operand<T> dc_in(random_vec<T>(B * H, 23)), dgates(pad_only<T>(ldg));
      Operand<T> dc_out(std::vector<T>(B * H));
      run_both(ex, [&](bool dev) {
        step::LstmBackward<T> s;
        s.B = B, s.H = H;
        s.acts = acts.get(dev), s.c = c.get(dev), s.c_prev = c_prev.get(dev);
        s.dy = dy.get(dev), s.lddy = lddy, s.dh_in = dh_in.get(dev, opt);
        s.dc_in = dc_in.get(dev, opt);
        s.dgates = dgates.get(dev), s.ldg = ldg;
        s.dc_out = in_place ? dc_in.get(dev) : dc_out.get(dev);
        return s;
      });
      EXPECT_TRUE(dgates.matches("lstm dgates (with padding)"));
      EXPECT_TRUE(dc_out.matches("lstm dc_prev"));
      EXPECT_TRUE(dc_in.matches("lstm dc_in / dc_prev in place"));
    }
  }
}

template <class T>
void CudaPointwise::gru() {
  CudaExecutor<T> ex(ctx_);
  const int64_t GH = 3 * H, ldx = GH + 2, ldh = 2 * H, ldhp = 2 * H + 3, lddy = H + 1;
  const int64_t ldgx = 2 * GH + 1, ldgh = GH + 4;
  for (bool opt : {true, false}) {
    SCOPED_TRACE(opt ? "optional operands present" : "optional operands absent");
    Operand<T> x(padded<T>(GH, ldx, 31)), hp(random_vec<T>(B * GH, 32));
    Operand<T> bih(random_vec<T>(GH, 33)), bhh(random_vec<T>(GH, 34));
    Operand<T> h_prev(padded<T>(H, ldhp, 35));
    for (bool training : {true, false}) {
      SCOPED_TRACE(training ? "training" : "inference");
      Operand<T> h_out(pad_only<T>(ldh)), acts(std::vector<T>(B * 4 * H));
      run_both(ex, [&](bool dev) {
        step::GruForward<T> s;
        s.B = B, s.H = H;
        s.xproj = x.get(dev), s.ldx = ldx, s.hproj = hp.get(dev, opt);
        s.b_ih = bih.get(dev, opt), s.b_hh = bhh.get(dev, opt);
        s.h_prev = h_prev.get(dev), s.ldhp = ldhp;
        s.h_out = h_out.get(dev), s.ldh = ldh;
        s.acts = acts.get(dev, training);
        return s;
      });
      EXPECT_TRUE(h_out.matches("gru h (with padding)"));
      EXPECT_TRUE(acts.matches("gru acts"));
    }

    std::vector<T> act_values(B * 4 * H);
    for (int64_t b = 0; b < B; ++b)
      for (int k = 0; k < 4; ++k) {
        const std::vector<T> v =
            random_vec<T>(H, 40 + k, k == 2 ? -0.9 : (k == 3 ? -1.0 : 0.05), k == 3 ? 1.0 : 0.95);
        for (int64_t j = 0; j < H; ++j) act_values[b * 4 * H + k * H + j] = v[j];
      }
    for (bool in_place : {false, true}) {  // dh_out aliasing dh_in
      if (in_place && !opt) continue;
      SCOPED_TRACE(in_place ? "dh in place" : "dh apart");
      Operand<T> acts(act_values), dy(padded<T>(H, lddy, 45)), dh_in(random_vec<T>(B * H, 46));
      Operand<T> dgx(pad_only<T>(ldgx)), dgh(pad_only<T>(ldgh)), dh_out(std::vector<T>(B * H));
      run_both(ex, [&](bool dev) {
        step::GruBackward<T> s;
        s.B = B, s.H = H;
        s.acts = acts.get(dev), s.h_prev = h_prev.get(dev), s.ldhp = ldhp;
        s.dy = dy.get(dev), s.lddy = lddy, s.dh_in = dh_in.get(dev, opt);
        s.dgates_x = dgx.get(dev), s.ldgx = ldgx;
        s.dgates_h = dgh.get(dev), s.ldgh = ldgh;
        s.dh_out = in_place ? dh_in.get(dev) : dh_out.get(dev);
        return s;
      });
      EXPECT_TRUE(dgx.matches("gru dgates_x (with padding)"));
      EXPECT_TRUE(dgh.matches("gru dgates_h (with padding)"));
      EXPECT_TRUE(dh_out.matches("gru dh_prev"));
      EXPECT_TRUE(dh_in.matches("gru dh_in / dh_prev in place"));
    }
  }
}

template <class T>
void CudaPointwise::rnn() {
  CudaExecutor<T> ex(ctx_);
  const int64_t ldx = H + 3, ldh = 2 * H + 1, lddy = H + 2, ldg = 2 * H;
  for (bool relu : {false, true})
    for (bool opt : {true, false}) {
      SCOPED_TRACE(std::string(relu ? "relu" : "tanh") + (opt ? ", optional present" : ", absent"));
      Operand<T> x(padded<T>(H, ldx, 51)), hp(random_vec<T>(B * H, 52));
      Operand<T> bih(random_vec<T>(H, 53)), bhh(random_vec<T>(H, 54)), h_out(pad_only<T>(ldh));
      run_both(ex, [&](bool dev) {
        step::RnnForward<T> s;
        s.relu = relu, s.B = B, s.H = H;
        s.xproj = x.get(dev), s.ldx = ldx, s.hproj = hp.get(dev, opt);
        s.b_ih = bih.get(dev, opt), s.b_hh = bhh.get(dev, opt);
        s.h_out = h_out.get(dev), s.ldh = ldh;
        return s;
      });
      EXPECT_TRUE(h_out.matches("rnn h (with padding)"));

      // Backward from an output with both signs (ReLU's gate) and its padding.
      Operand<T> h(padded<T>(H, ldh, 57)), dy(padded<T>(H, lddy, 55));
      Operand<T> dh_in(random_vec<T>(B * H, 56)), dg(pad_only<T>(ldg));
      run_both(ex, [&](bool dev) {
        step::RnnBackward<T> s;
        s.relu = relu, s.B = B, s.H = H;
        s.h_out = h.get(dev), s.ldh = ldh;
        s.dy = dy.get(dev), s.lddy = lddy, s.dh_in = dh_in.get(dev, opt);
        s.dgates = dg.get(dev), s.ldg = ldg;
        return s;
      });
      EXPECT_TRUE(dg.matches("rnn dgates (with padding)"));
    }
}

TEST_F(CudaPointwise, Lstm) {
  lstm<float>();
  lstm<double>();
}
TEST_F(CudaPointwise, Gru) {
  gru<float>();
  gru<double>();
}
TEST_F(CudaPointwise, Rnn) {
  rnn<float>();
  rnn<double>();
}

#else

TEST(CudaPointwise, NeedsCuda) {
  GTEST_SKIP() << "recur was built without CUDA";
}

#endif  // RECUR_WITH_CUDA

}  // namespace
}  // namespace recur::test
