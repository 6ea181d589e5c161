// How recur's (PyTorch's) parameters of one layer map onto oneDNN's RNN weights, and the
// gradients back. oneDNN keeps every direction of a layer in one tensor per kind: weights
// [1, D, I, G, H] (given here in its plain ldgoi order, [D][G][H][I], which is PyTorch's
// [G*H, I] per direction) and biases [1, D, Gb, H]. Gate orders: LSTM i, f, c, o in both;
// oneDNN's linear-before-reset GRU has u (PyTorch's z), r, o (PyTorch's n), and four biases:
// b_u = b_iz + b_hz, b_r = b_ir + b_hr, b_o = b_in, and b_u' = b_hn inside r * (U h + b_hn).
// Internal to kernels/onednn/.
#pragma once

#include <cstdint>
#include <vector>

#include "recur/rnn.h"

namespace recur::onednn {

// oneDNN gates of `cell` (LSTM 4, GRU 3) and biases (LSTM 4, GRU 4).
int64_t dnnl_gates(Cell cell);
int64_t dnnl_biases(Cell cell);

// The layer's weights in oneDNN's ldgoi order: W_ih as [D][G][H][I], W_hh as [D][G][H][P]
// (P = spec.state_size()), and the bias [D][Gb][H] (zeros without spec.bias); with an LSTM
// projection W_hr in ldoi order, [D][P][H], PyTorch's [P, H] per direction (else empty).
struct LayerWeights {
  std::vector<float> w_layer, w_iter, bias, w_projection;
};
LayerWeights gather_layer(const RnnSpec& spec, const RnnParams& params, int64_t layer);

// The inverse for gradients: writes dW_ih, dW_hh (the biases' gradients when spec.bias, dW_hr
// with a projection)
// of `layer` into `grads` (parameters-shaped, float) from oneDNN's diff tensors in the same
// orders as gather_layer.
void scatter_layer_grads(const RnnSpec& spec, const LayerWeights& diff, int64_t layer,
                         RnnParams* grads);

}  // namespace recur::onednn
