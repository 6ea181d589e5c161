// A trainable tensor as optimizers and checkpoints see it: its name, its value and its
// gradient. Both tensors share storage with the layer or model that owns them (Tensor copies
// are shallow), so an optimizer updating `value` updates the model.
#pragma once

#include <string>
#include <vector>

#include "recur/tensor.h"

namespace recur::train {

struct Param {
  std::string name;  // "weight_ih_l0", "head.0.weight", "embedding.weight", ...
  Tensor value;
  Tensor grad;  // same shape and dtype as value
};

using ParamList = std::vector<Param>;

}  // namespace recur::train
