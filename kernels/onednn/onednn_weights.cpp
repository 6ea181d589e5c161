#include "kernels/onednn/onednn_weights.h"

#include <algorithm>

#include "recur/error.h"

namespace recur::onednn {
namespace {

// PyTorch's gate for oneDNN's gate g.
int64_t torch_gate(Cell cell, int64_t g) {
  if (cell == Cell::GRU && g < 2) return 1 - g;  // u <- z, r <- r
  return g;
}

}  // namespace

int64_t dnnl_gates(Cell cell) {
  RECUR_CHECK(cell == Cell::LSTM || cell == Cell::GRU, "onednn: no mapping for {}",
              cell_name(cell));
  return cell == Cell::LSTM ? 4 : 3;
}

int64_t dnnl_biases(Cell cell) {
  dnnl_gates(cell);
  return 4;
}

LayerWeights gather_layer(const RnnSpec& spec, const RnnParams& params, int64_t layer) {
  const int64_t D = spec.directions(), H = spec.hidden_size, G = dnnl_gates(spec.cell);
  const int64_t I = spec.layer_input_size(layer), Gb = dnnl_biases(spec.cell);
  const int64_t P = spec.state_size();
  LayerWeights w;
  w.w_layer.resize(static_cast<size_t>(D * G * H * I));
  w.w_iter.resize(static_cast<size_t>(D * G * H * P));
  w.bias.assign(static_cast<size_t>(D * Gb * H), 0.0f);
  if (spec.proj_size > 0) w.w_projection.resize(static_cast<size_t>(D * P * H));
  for (int64_t d = 0; d < D; ++d) {
    const float* wih = params.get(ParamKind::W_ih, layer, d).data<float>();
    const float* whh = params.get(ParamKind::W_hh, layer, d).data<float>();
    for (int64_t g = 0; g < G; ++g) {
      const int64_t tg = torch_gate(spec.cell, g);
      std::copy_n(wih + tg * H * I, H * I, w.w_layer.data() + (d * G + g) * H * I);
      std::copy_n(whh + tg * H * P, H * P, w.w_iter.data() + (d * G + g) * H * P);
    }
    if (spec.proj_size > 0) {
      const float* whr = params.get(ParamKind::W_hr, layer, d).data<float>();
      std::copy_n(whr, P * H, w.w_projection.data() + d * P * H);
    }
    if (!spec.bias) continue;
    const float* bih = params.get(ParamKind::b_ih, layer, d).data<float>();
    const float* bhh = params.get(ParamKind::b_hh, layer, d).data<float>();
    float* b = w.bias.data() + d * Gb * H;
    for (int64_t g = 0; g < Gb; ++g) {
      for (int64_t o = 0; o < H; ++o) {
        float v;
        if (spec.cell == Cell::GRU && g == 2) {
          v = bih[2 * H + o];
        } else if (spec.cell == Cell::GRU && g == 3) {
          v = bhh[2 * H + o];
        } else {
          const int64_t tg = torch_gate(spec.cell, g);
          v = bih[tg * H + o] + bhh[tg * H + o];
        }
        b[g * H + o] = v;
      }
    }
  }
  return w;
}

void scatter_layer_grads(const RnnSpec& spec, const LayerWeights& diff, int64_t layer,
                         RnnParams* grads) {
  const int64_t D = spec.directions(), H = spec.hidden_size, G = dnnl_gates(spec.cell);
  const int64_t I = spec.layer_input_size(layer), Gb = dnnl_biases(spec.cell);
  const int64_t P = spec.state_size();
  for (int64_t d = 0; d < D; ++d) {
    float* wih = grads->get(ParamKind::W_ih, layer, d).data<float>();
    float* whh = grads->get(ParamKind::W_hh, layer, d).data<float>();
    for (int64_t g = 0; g < G; ++g) {
      const int64_t tg = torch_gate(spec.cell, g);
      std::copy_n(diff.w_layer.data() + (d * G + g) * H * I, H * I, wih + tg * H * I);
      std::copy_n(diff.w_iter.data() + (d * G + g) * H * P, H * P, whh + tg * H * P);
    }
    if (spec.proj_size > 0) {
      float* whr = grads->get(ParamKind::W_hr, layer, d).data<float>();
      std::copy_n(diff.w_projection.data() + d * P * H, P * H, whr);
    }
    if (!spec.bias) continue;
    float* bih = grads->get(ParamKind::b_ih, layer, d).data<float>();
    float* bhh = grads->get(ParamKind::b_hh, layer, d).data<float>();
    const float* b = diff.bias.data() + d * Gb * H;
    for (int64_t g = 0; g < G; ++g) {
      const int64_t tg = torch_gate(spec.cell, g);
      for (int64_t o = 0; o < H; ++o) {
        if (spec.cell == Cell::GRU && g == 2) {
          bih[2 * H + o] = b[2 * H + o];
          bhh[2 * H + o] = b[3 * H + o];
        } else {  // both biases enter the gate as one sum
          bih[tg * H + o] = b[g * H + o];
          bhh[tg * H + o] = b[g * H + o];
        }
      }
    }
  }
}

}  // namespace recur::onednn
