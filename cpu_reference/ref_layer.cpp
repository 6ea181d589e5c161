#include "cpu_reference/ref_layer.h"

#include "cpu_reference/ref_cells.h"
#include "recur/random.h"

namespace recur::ref {

namespace {

// The time of the step-th step of direction d over a sequence of `len` steps.
int64_t step_time(int64_t len, int64_t d, int64_t step) {
  return d == 0 ? step : len - 1 - step;
}

}  // namespace

void direction_forward(const Sizes& s, int64_t d, const DirParams& p, const std::vector<double>& x,
                       std::vector<double>& h, std::vector<double>& c, std::vector<double>& y,
                       DirTape* tape) {
  const int64_t T = s.T, B = s.B, H = s.H, P = s.P, GH = s.G * s.H, in = p.in;
  const bool lstm = cell_info(s.cell)->cell_state;
  if (tape) {
    tape->gx.assign(T * B * GH, 0.0);
    tape->gh.assign(T * B * GH, 0.0);
    tape->h_prev.assign(T * B * P, 0.0);
    tape->c_prev.assign(lstm ? T * B * H : 0, 0.0);
    tape->m.assign(s.proj ? T * B * H : 0, 0.0);
  }
  // h_new is the cell's output o * tanh(c') (H wide); h_out what the step emits (P wide): the
  // same values without a projection, W_hr h_new with one.
  std::vector<double> gx(GH), gh(GH), h_new(H), c_new(H), h_out(P);
  for (int64_t step = 0; step < T; ++step) {
    for (int64_t b = 0; b < B; ++b) {
      if (step >= s.length(b)) continue;  // sequence b has ended
      const int64_t t = step_time(s.length(b), d, step);
      const double* x_tb = &x[(t * B + b) * in];
      double* h_b = &h[b * P];
      double* c_b = lstm ? &c[b * H] : nullptr;

      // gx = W_ih x_t + b_ih, gh = W_hh h_prev + b_hh
      for (int64_t r = 0; r < GH; ++r) {
        double sx = p.b_ih[r];
        for (int64_t k = 0; k < in; ++k) sx += p.w_ih[r * in + k] * x_tb[k];
        double sh = p.b_hh[r];
        for (int64_t k = 0; k < P; ++k) sh += p.w_hh[r * P + k] * h_b[k];
        gx[r] = sx;
        gh[r] = sh;
      }
      if (tape) {
        for (int64_t r = 0; r < GH; ++r) {
          tape->gx[(t * B + b) * GH + r] = gx[r];
          tape->gh[(t * B + b) * GH + r] = gh[r];
        }
        for (int64_t k = 0; k < P; ++k) tape->h_prev[(t * B + b) * P + k] = h_b[k];
        for (int64_t j = 0; j < H; ++j)
          if (lstm) tape->c_prev[(t * B + b) * H + j] = c_b[j];
      }

      cell_forward(s.cell, H, gx.data(), gh.data(), h_b, c_b, h_new.data(), c_new.data());
      if (s.proj) {
        // h = W_hr m with m = o * tanh(c'), the cell's own output.
        for (int64_t k = 0; k < P; ++k) {
          double sum = 0.0;
          for (int64_t j = 0; j < H; ++j) sum += p.w_hr[k * H + j] * h_new[j];
          h_out[k] = sum;
        }
        if (tape)
          for (int64_t j = 0; j < H; ++j) tape->m[(t * B + b) * H + j] = h_new[j];
      } else {
        h_out = h_new;
      }
      for (int64_t j = 0; j < H; ++j)
        if (lstm) c_b[j] = c_new[j];
      for (int64_t k = 0; k < P; ++k) {
        h_b[k] = h_out[k];
        y[(t * B + b) * s.D * P + d * P + k] = h_out[k];
      }
    }
  }
}

void direction_backward(const Sizes& s, int64_t d, const DirParams& p, const std::vector<double>& x,
                        const DirTape& tape, const std::vector<double>& dy, std::vector<double>& dh,
                        std::vector<double>& dc, std::vector<double>& dx, DirParams& grads) {
  const int64_t T = s.T, B = s.B, H = s.H, P = s.P, GH = s.G * s.H, in = p.in;
  const bool lstm = cell_info(s.cell)->cell_state;
  // dh_out: dL/dh of the step's output (P wide); dh_cell: dL/d(o * tanh(c')) (H wide), the
  // same values without a projection. dh_prev is H wide because the cell writes H values
  // (zeros for LSTM) before W_hh^T dgh adds into its first P.
  std::vector<double> dh_out(P), dh_cell(H), dgx(GH), dgh(GH), dh_prev(H), dc_prev(H);
  // Steps in the reverse of the forward's order: the state gradient flows from the last step.
  for (int64_t step = T - 1; step >= 0; --step) {
    for (int64_t b = 0; b < B; ++b) {
      if (step >= s.length(b)) continue;  // a padded step: nothing flows through it
      const int64_t t = step_time(s.length(b), d, step);
      const double* x_tb = &x[(t * B + b) * in];
      const double* h_prev_tb = &tape.h_prev[(t * B + b) * P];
      const double* c_prev_tb = lstm ? &tape.c_prev[(t * B + b) * H] : nullptr;
      double* dc_b = lstm ? &dc[b * H] : nullptr;

      // h' of this step reaches the loss through the layer output and through the next step.
      for (int64_t k = 0; k < P; ++k)
        dh_out[k] = dh[b * P + k] + dy[(t * B + b) * s.D * P + d * P + k];

      if (s.proj) {
        // h = W_hr m backward: dm = W_hr^T dh, dW_hr += dh m^T.
        const double* m_tb = &tape.m[(t * B + b) * H];
        for (int64_t j = 0; j < H; ++j) dh_cell[j] = 0.0;
        for (int64_t k = 0; k < P; ++k)
          for (int64_t j = 0; j < H; ++j) {
            dh_cell[j] += p.w_hr[k * H + j] * dh_out[k];
            grads.w_hr[k * H + j] += dh_out[k] * m_tb[j];
          }
      } else {
        dh_cell = dh_out;
      }

      cell_backward(s.cell, H, &tape.gx[(t * B + b) * GH], &tape.gh[(t * B + b) * GH], h_prev_tb,
                    c_prev_tb, dh_cell.data(), dc_b, dgx.data(), dgh.data(), dh_prev.data(),
                    dc_prev.data());

      // gx = W_ih x + b_ih and gh = W_hh h_prev + b_hh, backward.
      for (int64_t r = 0; r < GH; ++r) {
        grads.b_ih[r] += dgx[r];
        grads.b_hh[r] += dgh[r];
        for (int64_t k = 0; k < in; ++k) {
          grads.w_ih[r * in + k] += dgx[r] * x_tb[k];
          dx[(t * B + b) * in + k] += p.w_ih[r * in + k] * dgx[r];
        }
        for (int64_t k = 0; k < P; ++k) {
          grads.w_hh[r * P + k] += dgh[r] * h_prev_tb[k];
          dh_prev[k] += p.w_hh[r * P + k] * dgh[r];
        }
      }

      for (int64_t k = 0; k < P; ++k) dh[b * P + k] = dh_prev[k];
      for (int64_t j = 0; j < H; ++j)
        if (lstm) dc_b[j] = dc_prev[j];
    }
  }
}

void apply_dropout(std::vector<double>& y, int64_t layer, double p, uint64_t seed) {
  const int64_t n = static_cast<int64_t>(y.size());
  for (int64_t e = 0; e < n; ++e) y[e] = dropout_keep(seed, layer, e, p) ? y[e] / (1.0 - p) : 0.0;
}

}  // namespace recur::ref
