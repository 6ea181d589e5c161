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

// Reads the spec from metadata; errors name `what`, the key and the bad value. Integers are
// plain decimal digits; booleans are "true"/"false" (also accepted: "True"/"False" as Python's
// str() writes them, and "1"/"0"); dropout, when present, a decimal number in [0, 1]. Keys
// other than the spec's are ignored.
RnnSpec spec_from_metadata(const std::map<std::string, std::string>& metadata,
                           const std::string& what);
// The inverse: booleans as "true"/"false"; dropout only when nonzero, in the shortest form
// that reads back to the same double.
std::map<std::string, std::string> spec_to_metadata(const RnnSpec& spec);

// Every parameter of `spec` must be present as `prefix + name` with its exact shape
// (F16/BF16/F32/F64 converted to `dtype`, always a copy: the result shares no storage with
// `file`); a missing or misshapen parameter is an error naming it. A tensor that looks like
// an RNN parameter under `prefix` (weight_/bias_ ih/hh/hr _l<k>[_reverse]) but is not one of
// this spec (a layer too many, a bias when spec.bias is false, ...) is always an error; other
// tensors are an error unless `allow_extra` (a checkpoint's head).
RnnParams params_from_file(const RnnSpec& spec, const TensorFile& file, const std::string& what,
                           DType dtype = DType::F32, bool allow_extra = false,
                           const std::string& prefix = "");
// Adds every parameter as `prefix + name` (sharing storage with `params`).
void add_params(TensorFile& file, const RnnParams& params, const std::string& prefix = "");

}  // namespace recur
