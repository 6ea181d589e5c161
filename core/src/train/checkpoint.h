// Internal: what every training checkpoint gets on the way out and is checked for on the way
// in, whichever task wrote it.
#pragma once

#include <cstdint>
#include <string>

#include "recur/safetensors.h"

namespace recur::train::detail {

// The most optimizer steps a checkpoint may claim: 2^53, so that a step count survives the trip
// through a double (the report history) and step + 1 never overflows.
constexpr int64_t kMaxSteps = int64_t{1} << 53;

// Refuses (naming `path`, the tensor and the element) a file holding a NaN or infinity, then
// stores the digest of its tensors as metadata "checkpoint.digest" and writes it atomically.
void write_checkpoint(const std::string& path, TensorFile& file);
// Reads `path`, checks its digest (when present: checkpoints of older versions have none) and
// that every floating-point value is finite; errors name the file and the tensor.
TensorFile read_checkpoint(const std::string& path);
// read_checkpoint's checks on a file already read; `what` names it in errors.
void validate_checkpoint(const TensorFile& file, const std::string& what);

// Throws (training diverged) unless the loss and the gradient norm of step `step` are finite;
// called before the optimizer takes the step, so the model and the last checkpoint stay good.
void check_step_finite(double loss, double grad_norm, int64_t step);

// Metadata "optim.step"-like counters: plain decimal digits in [0, kMaxSteps].
int64_t parse_step_count(const std::string& text, const std::string& what);

}  // namespace recur::train::detail
