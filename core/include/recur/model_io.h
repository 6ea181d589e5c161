// A network as a file: the parameters under their PyTorch names, plus the spec in the
// `__metadata__` keys mode, input_size, hidden_size, num_layers, bidirectional, bias,
// batch_first (booleans "true"/"false"), and dropout (optional). This is the `recur run`
// weights contract of DESIGN.md.
#pragma once

#include <map>
#include <string>

#include "recur/rnn.h"
#include "recur/safetensors.h"

namespace recur {

// Reads the spec from metadata; errors name `what` and the key.
RnnSpec spec_from_metadata(const std::map<std::string, std::string>& metadata,
                           const std::string& what);
std::map<std::string, std::string> spec_to_metadata(const RnnSpec& spec);

// Every parameter of `spec` must be present with its exact shape (F16/BF16/F64 converted to
// `dtype`); a missing, misshapen or unexpected RNN tensor is an error naming it. Tensors
// whose names are not RNN parameters are ignored when `allow_extra` (a checkpoint's head).
RnnParams params_from_file(const RnnSpec& spec, const TensorFile& file, const std::string& what,
                           DType dtype = DType::F32, bool allow_extra = false);
void add_params(TensorFile& file, const RnnParams& params, const std::string& prefix = "");

}  // namespace recur
