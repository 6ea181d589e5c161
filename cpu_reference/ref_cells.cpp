#include "cpu_reference/ref_cells.h"

#include <cmath>

#include "recur/error.h"

namespace recur::ref {

namespace {

double sigmoid(double a) {
  return 1.0 / (1.0 + std::exp(-a));
}

// ---- RNN_TANH / RNN_RELU: h' = act(gx + gh) ----

void rnn_forward(bool relu, int64_t H, const double* gx, const double* gh, double* h) {
  for (int64_t j = 0; j < H; ++j) {
    const double a = gx[j] + gh[j];
    h[j] = relu ? (a > 0.0 ? a : 0.0) : std::tanh(a);
  }
}

void rnn_backward(bool relu, int64_t H, const double* gx, const double* gh, const double* dh,
                  double* dgx, double* dgh, double* dh_prev) {
  for (int64_t j = 0; j < H; ++j) {
    const double a = gx[j] + gh[j];
    double da;
    if (relu) {
      da = a > 0.0 ? dh[j] : 0.0;  // PyTorch's relu gradient at exactly 0 is 0
    } else {
      const double t = std::tanh(a);
      da = dh[j] * (1.0 - t * t);
    }
    dgx[j] = da;
    dgh[j] = da;
    dh_prev[j] = 0.0;
  }
}

// ---- LSTM, rows i [0, H), f [H, 2H), g [2H, 3H), o [3H, 4H) ----
//   i = σ(a_i), f = σ(a_f), g = tanh(a_g), o = σ(a_o) with a = gx + gh
//   c' = f*c + i*g,  h' = o*tanh(c')

void lstm_forward(int64_t H, const double* gx, const double* gh, const double* c_prev, double* h,
                  double* c) {
  for (int64_t j = 0; j < H; ++j) {
    const double i = sigmoid(gx[j] + gh[j]);
    const double f = sigmoid(gx[H + j] + gh[H + j]);
    const double g = std::tanh(gx[2 * H + j] + gh[2 * H + j]);
    const double o = sigmoid(gx[3 * H + j] + gh[3 * H + j]);
    c[j] = f * c_prev[j] + i * g;
    h[j] = o * std::tanh(c[j]);
  }
}

void lstm_backward(int64_t H, const double* gx, const double* gh, const double* c_prev,
                   const double* dh, const double* dc, double* dgx, double* dgh, double* dh_prev,
                   double* dc_prev) {
  for (int64_t j = 0; j < H; ++j) {
    const double i = sigmoid(gx[j] + gh[j]);
    const double f = sigmoid(gx[H + j] + gh[H + j]);
    const double g = std::tanh(gx[2 * H + j] + gh[2 * H + j]);
    const double o = sigmoid(gx[3 * H + j] + gh[3 * H + j]);
    const double c = f * c_prev[j] + i * g;
    const double tc = std::tanh(c);

    // h' = o*tanh(c'): dL/do and the share of dL/dc' that comes through h'.
    const double do_ = dh[j] * tc;
    const double dc_new = dc[j] + dh[j] * o * (1.0 - tc * tc);
    // c' = f*c + i*g
    const double di = dc_new * g;
    const double df = dc_new * c_prev[j];
    const double dg = dc_new * i;
    dc_prev[j] = dc_new * f;
    dh_prev[j] = 0.0;

    // Through the non-linearities to the pre-activations a = gx + gh (both sides see the
    // same sum, so they get the same gradient).
    const double da_i = di * i * (1.0 - i);
    const double da_f = df * f * (1.0 - f);
    const double da_g = dg * (1.0 - g * g);
    const double da_o = do_ * o * (1.0 - o);
    dgx[j] = dgh[j] = da_i;
    dgx[H + j] = dgh[H + j] = da_f;
    dgx[2 * H + j] = dgh[2 * H + j] = da_g;
    dgx[3 * H + j] = dgh[3 * H + j] = da_o;
  }
}

// ---- GRU, rows r [0, H), z [H, 2H), n [2H, 3H) ----
//   r = σ(gx_r + gh_r), z = σ(gx_z + gh_z), n = tanh(gx_n + r*gh_n)
//   h' = (1-z)*n + z*h

void gru_forward(int64_t H, const double* gx, const double* gh, const double* h_prev, double* h) {
  for (int64_t j = 0; j < H; ++j) {
    const double r = sigmoid(gx[j] + gh[j]);
    const double z = sigmoid(gx[H + j] + gh[H + j]);
    const double n = std::tanh(gx[2 * H + j] + r * gh[2 * H + j]);
    h[j] = (1.0 - z) * n + z * h_prev[j];
  }
}

void gru_backward(int64_t H, const double* gx, const double* gh, const double* h_prev,
                  const double* dh, double* dgx, double* dgh, double* dh_prev) {
  for (int64_t j = 0; j < H; ++j) {
    const double r = sigmoid(gx[j] + gh[j]);
    const double z = sigmoid(gx[H + j] + gh[H + j]);
    const double n = std::tanh(gx[2 * H + j] + r * gh[2 * H + j]);

    // h' = (1-z)*n + z*h
    const double dn = dh[j] * (1.0 - z);
    const double dz = dh[j] * (h_prev[j] - n);
    dh_prev[j] = dh[j] * z;
    // n = tanh(a_n) with a_n = gx_n + r*gh_n
    const double da_n = dn * (1.0 - n * n);
    const double dr = da_n * gh[2 * H + j];
    const double da_r = dr * r * (1.0 - r);
    const double da_z = dz * z * (1.0 - z);

    dgx[j] = dgh[j] = da_r;
    dgx[H + j] = dgh[H + j] = da_z;
    dgx[2 * H + j] = da_n;
    dgh[2 * H + j] = da_n * r;
  }
}

}  // namespace

void cell_forward(Cell cell, int64_t H, const double* gx, const double* gh, const double* h_prev,
                  const double* c_prev, double* h, double* c) {
  switch (cell) {
    case Cell::RNN_TANH:
      return rnn_forward(false, H, gx, gh, h);
    case Cell::RNN_RELU:
      return rnn_forward(true, H, gx, gh, h);
    case Cell::LSTM:
      return lstm_forward(H, gx, gh, c_prev, h, c);
    case Cell::GRU:
      return gru_forward(H, gx, gh, h_prev, h);
  }
  RECUR_FAIL("cpu-ref: unknown cell {}", static_cast<int>(cell));
}

void cell_backward(Cell cell, int64_t H, const double* gx, const double* gh, const double* h_prev,
                   const double* c_prev, const double* dh, const double* dc, double* dgx,
                   double* dgh, double* dh_prev, double* dc_prev) {
  switch (cell) {
    case Cell::RNN_TANH:
      return rnn_backward(false, H, gx, gh, dh, dgx, dgh, dh_prev);
    case Cell::RNN_RELU:
      return rnn_backward(true, H, gx, gh, dh, dgx, dgh, dh_prev);
    case Cell::LSTM:
      return lstm_backward(H, gx, gh, c_prev, dh, dc, dgx, dgh, dh_prev, dc_prev);
    case Cell::GRU:
      return gru_backward(H, gx, gh, h_prev, dh, dgx, dgh, dh_prev);
  }
  RECUR_FAIL("cpu-ref: unknown cell {}", static_cast<int>(cell));
}

}  // namespace recur::ref
