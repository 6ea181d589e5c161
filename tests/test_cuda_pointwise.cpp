// The fused pointwise kernels of every cell, forward (training and inference) and backward, on
// a GPU through the CUDA executor, against the contract of kernels/common/executor.h evaluated
// on the host with cell_math.h: padded row strides (whose padding must stay untouched),
// optional operands present and absent, the permitted aliasing (c_out = c_prev, dc_out = dc_in,
// dh_out = dh_in), and H not a multiple of 32. Skips without a GPU.
#include <cstdint>
#include <vector>

#include <gtest/gtest.h>

#include "kernels/common/cell_math.h"
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

template <class T>
const T* get_or_null(const DeviceVec<T>& d, bool present) {
  return present ? d.get() : nullptr;
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
    const std::vector<T> x = padded<T>(GH, ldx, 1), hp = random_vec<T>(B * GH, 2);
    const std::vector<T> bih = random_vec<T>(GH, 3), bhh = random_vec<T>(GH, 4);
    const std::vector<T> c_prev = random_vec<T>(B * H, 5);
    DeviceVec<T> dx(x), dhp(hp), dbih(bih), dbhh(bhh), dcp(c_prev);
    for (bool training : {true, false}) {
      std::vector<T> want_c(B * H), want_h = pad_only<T>(ldh), want_acts(B * GH);
      for (int64_t b = 0; b < B; ++b)
        for (int64_t j = 0; j < H; ++j) {
          T a[4];
          for (int k = 0; k < 4; ++k) {
            const int64_t col = k * H + j;
            a[k] = (x[b * ldx + col] + (opt ? bih[col] : T(0))) +
                   ((opt ? hp[b * GH + col] : T(0)) + (opt ? bhh[col] : T(0)));
          }
          T c, h;
          const auto s = cell::lstm_forward(a[0], a[1], a[2], a[3], c_prev[b * H + j], &c, &h);
          want_c[b * H + j] = c;
          want_h[b * ldh + j] = h;
          const T acts[4] = {s.i, s.f, s.g, s.o};
          for (int k = 0; k < 4; ++k) want_acts[b * GH + k * H + j] = acts[k];
        }
      DeviceVec<T> c_out(std::vector<T>(B * H)), h_out(pad_only<T>(ldh)),
          acts(std::vector<T>(B * GH));
      ex.lstm_forward_pass(kMainLane, training, B, H, dx.get(), ldx, get_or_null(dhp, opt),
                           get_or_null(dbih, opt), get_or_null(dbhh, opt), dcp.get(), c_out.get(),
                           h_out.get(), ldh, training ? acts.get() : nullptr);
      EXPECT_TRUE(near(c_out.host(), want_c, "lstm c"));
      EXPECT_TRUE(near(h_out.host(), want_h, "lstm h (with padding)"));
      if (training) {
        EXPECT_TRUE(near(acts.host(), want_acts, "lstm acts"));
      }
      // c_out aliasing c_prev.
      DeviceVec<T> c_inplace(c_prev), h2(pad_only<T>(ldh));
      ex.lstm_forward_pass(kMainLane, training, B, H, dx.get(), ldx, get_or_null(dhp, opt),
                           get_or_null(dbih, opt), get_or_null(dbhh, opt), c_inplace.get(),
                           c_inplace.get(), h2.get(), ldh, training ? acts.get() : nullptr);
      EXPECT_TRUE(near(c_inplace.host(), want_c, "lstm c in place"));
    }

    // Backward, from valid activations: i, f, o in (0, 1), g in (-1, 1).
    std::vector<T> acts(B * GH);
    for (int64_t b = 0; b < B; ++b)
      for (int k = 0; k < 4; ++k) {
        const std::vector<T> v = random_vec<T>(H, 10 + k, k == 2 ? -0.9 : 0.05, 0.95);
        for (int64_t j = 0; j < H; ++j) acts[b * GH + k * H + j] = v[j];
      }
    const std::vector<T> c = random_vec<T>(B * H, 20), dy = padded<T>(H, lddy, 21);
    const std::vector<T> dh_in = random_vec<T>(B * H, 22), dc_in = random_vec<T>(B * H, 23);
    std::vector<T> want_g = pad_only<T>(ldg), want_dc(B * H);
    for (int64_t b = 0; b < B; ++b)
      for (int64_t j = 0; j < H; ++j) {
        const int64_t i = b * H + j;
        const cell::LstmActs<T> s{acts[b * GH + j], acts[b * GH + H + j], acts[b * GH + 2 * H + j],
                                  acts[b * GH + 3 * H + j]};
        const T dh = dy[b * lddy + j] + (opt ? dh_in[i] : T(0));
        const auto g = cell::lstm_backward(s, c[i], c_prev[i], dh, opt ? dc_in[i] : T(0));
        const T d[4] = {g.d_i, g.d_f, g.d_g, g.d_o};
        for (int k = 0; k < 4; ++k) want_g[b * ldg + k * H + j] = d[k];
        want_dc[i] = g.dc_prev;
      }
    DeviceVec<T> dacts(acts), dc(c), ddy(dy), ddh(dh_in), ddc(dc_in), dg(pad_only<T>(ldg)),
        dc_out(std::vector<T>(B * H));
    ex.lstm_backward_pass(kMainLane, B, H, dacts.get(), dc.get(), dcp.get(), ddy.get(), lddy,
                          get_or_null(ddh, opt), get_or_null(ddc, opt), dg.get(), ldg,
                          dc_out.get());
    EXPECT_TRUE(near(dg.host(), want_g, "lstm dgates (with padding)"));
    EXPECT_TRUE(near(dc_out.host(), want_dc, "lstm dc_prev"));
    if (opt) {  // dc_out aliasing dc_in
      ex.lstm_backward_pass(kMainLane, B, H, dacts.get(), dc.get(), dcp.get(), ddy.get(), lddy,
                            ddh.get(), ddc.get(), dg.get(), ldg, ddc.get());
      EXPECT_TRUE(near(ddc.host(), want_dc, "lstm dc_prev in place"));
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
    const std::vector<T> x = padded<T>(GH, ldx, 31), hp = random_vec<T>(B * GH, 32);
    const std::vector<T> bih = random_vec<T>(GH, 33), bhh = random_vec<T>(GH, 34);
    const std::vector<T> h_prev = padded<T>(H, ldhp, 35);
    DeviceVec<T> dx(x), dhp(hp), dbih(bih), dbhh(bhh), dprev(h_prev);
    for (bool training : {true, false}) {
      std::vector<T> want_h = pad_only<T>(ldh), want_acts(B * 4 * H);
      for (int64_t b = 0; b < B; ++b)
        for (int64_t j = 0; j < H; ++j) {
          T xs[3], hs[3];
          for (int k = 0; k < 3; ++k) {
            const int64_t col = k * H + j;
            xs[k] = x[b * ldx + col] + (opt ? bih[col] : T(0));
            hs[k] = (opt ? hp[b * GH + col] : T(0)) + (opt ? bhh[col] : T(0));
          }
          T h;
          const auto s =
              cell::gru_forward(xs[0], xs[1], xs[2], hs[0], hs[1], hs[2], h_prev[b * ldhp + j], &h);
          want_h[b * ldh + j] = h;
          const T a[4] = {s.r, s.z, s.n, s.h_n};
          for (int k = 0; k < 4; ++k) want_acts[b * 4 * H + k * H + j] = a[k];
        }
      DeviceVec<T> h_out(pad_only<T>(ldh)), acts(std::vector<T>(B * 4 * H));
      ex.gru_forward_pass(kMainLane, training, B, H, dx.get(), ldx, get_or_null(dhp, opt),
                          get_or_null(dbih, opt), get_or_null(dbhh, opt), dprev.get(), ldhp,
                          h_out.get(), ldh, training ? acts.get() : nullptr);
      EXPECT_TRUE(near(h_out.host(), want_h, "gru h (with padding)"));
      if (training) {
        EXPECT_TRUE(near(acts.host(), want_acts, "gru acts"));
      }
    }

    std::vector<T> acts(B * 4 * H);
    for (int64_t b = 0; b < B; ++b)
      for (int k = 0; k < 4; ++k) {
        const std::vector<T> v =
            random_vec<T>(H, 40 + k, k == 2 ? -0.9 : (k == 3 ? -1.0 : 0.05), k == 3 ? 1.0 : 0.95);
        for (int64_t j = 0; j < H; ++j) acts[b * 4 * H + k * H + j] = v[j];
      }
    const std::vector<T> dy = padded<T>(H, lddy, 45), dh_in = random_vec<T>(B * H, 46);
    std::vector<T> want_gx = pad_only<T>(ldgx), want_gh = pad_only<T>(ldgh), want_dh(B * H);
    for (int64_t b = 0; b < B; ++b)
      for (int64_t j = 0; j < H; ++j) {
        const int64_t i = b * H + j, a0 = b * 4 * H + j;
        const cell::GruActs<T> s{acts[a0], acts[a0 + H], acts[a0 + 2 * H], acts[a0 + 3 * H]};
        const T dh = dy[b * lddy + j] + (opt ? dh_in[i] : T(0));
        const auto g = cell::gru_backward(s, h_prev[b * ldhp + j], dh);
        const T gx[3] = {g.d_r, g.d_z, g.dx_n}, gh[3] = {g.d_r, g.d_z, g.dh_n};
        for (int k = 0; k < 3; ++k) {
          want_gx[b * ldgx + k * H + j] = gx[k];
          want_gh[b * ldgh + k * H + j] = gh[k];
        }
        want_dh[i] = g.dh_prev;
      }
    DeviceVec<T> dacts(acts), ddy(dy), ddh(dh_in), dgx(pad_only<T>(ldgx)), dgh(pad_only<T>(ldgh)),
        dh_out(std::vector<T>(B * H));
    ex.gru_backward_pass(kMainLane, B, H, dacts.get(), dprev.get(), ldhp, ddy.get(), lddy,
                         get_or_null(ddh, opt), dgx.get(), ldgx, dgh.get(), ldgh, dh_out.get());
    EXPECT_TRUE(near(dgx.host(), want_gx, "gru dgates_x (with padding)"));
    EXPECT_TRUE(near(dgh.host(), want_gh, "gru dgates_h (with padding)"));
    EXPECT_TRUE(near(dh_out.host(), want_dh, "gru dh_prev"));
    if (opt) {  // dh_out aliasing dh_in
      ex.gru_backward_pass(kMainLane, B, H, dacts.get(), dprev.get(), ldhp, ddy.get(), lddy,
                           ddh.get(), dgx.get(), ldgx, dgh.get(), ldgh, ddh.get());
      EXPECT_TRUE(near(ddh.host(), want_dh, "gru dh_prev in place"));
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
      const std::vector<T> x = padded<T>(H, ldx, 51), hp = random_vec<T>(B * H, 52);
      const std::vector<T> bih = random_vec<T>(H, 53), bhh = random_vec<T>(H, 54);
      std::vector<T> want_h = pad_only<T>(ldh);
      for (int64_t b = 0; b < B; ++b)
        for (int64_t j = 0; j < H; ++j) {
          const T xs = x[b * ldx + j] + (opt ? bih[j] : T(0));
          const T hs = (opt ? hp[b * H + j] : T(0)) + (opt ? bhh[j] : T(0));
          want_h[b * ldh + j] =
              relu ? cell::rnn_relu_forward(xs, hs) : cell::rnn_tanh_forward(xs, hs);
        }
      DeviceVec<T> dx(x), dhp(hp), dbih(bih), dbhh(bhh), h_out(pad_only<T>(ldh));
      ex.rnn_forward_pass(kMainLane, relu, B, H, dx.get(), ldx, get_or_null(dhp, opt),
                          get_or_null(dbih, opt), get_or_null(dbhh, opt), h_out.get(), ldh);
      const std::vector<T> h = h_out.host();
      EXPECT_TRUE(near(h, want_h, "rnn h (with padding)"));

      const std::vector<T> dy = padded<T>(H, lddy, 55), dh_in = random_vec<T>(B * H, 56);
      std::vector<T> want_g = pad_only<T>(ldg);
      for (int64_t b = 0; b < B; ++b)
        for (int64_t j = 0; j < H; ++j) {
          const T dh = dy[b * lddy + j] + (opt ? dh_in[b * H + j] : T(0));
          const T ho = want_h[b * ldh + j];
          want_g[b * ldg + j] =
              relu ? cell::rnn_relu_backward(ho, dh) : cell::rnn_tanh_backward(ho, dh);
        }
      DeviceVec<T> dho(want_h), ddy(dy), ddh(dh_in), dg(pad_only<T>(ldg));
      ex.rnn_backward_pass(kMainLane, relu, B, H, dho.get(), ldh, ddy.get(), lddy,
                           get_or_null(ddh, opt), dg.get(), ldg);
      EXPECT_TRUE(near(dg.host(), want_g, "rnn dgates (with padding)"));
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
