// Losses, each returning the loss value and its gradient with respect to the prediction (the
// gradient has the prediction's shape and dtype; the loss is accumulated in double).
#pragma once

#include <cstdint>
#include <vector>

#include "recur/tensor.h"

namespace recur::train {

struct LossResult {
  double loss = 0;
  Tensor grad;  // d loss / d prediction
};

// mean((pred - target)^2) over all elements, as torch.nn.MSELoss; shapes must match.
LossResult mse_loss(const Tensor& pred, const Tensor& target);

// Cross-entropy of logits [N, C] against class indices targets[N] (each in [0, C)), averaged
// over N, as torch.nn.CrossEntropyLoss: -log softmax(logits[n])[targets[n]]. The log-softmax
// subtracts each row's maximum first, so large logits do not overflow. Gradient:
// (softmax(logits) - onehot(targets)) / N.
LossResult cross_entropy(const Tensor& logits, const std::vector<int32_t>& targets);

// Row-wise softmax of logits [N, C] / temperature, in double (for sampling).
std::vector<double> softmax_row(const Tensor& logits, int64_t row, double temperature = 1.0);

}  // namespace recur::train
