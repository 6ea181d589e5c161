// cpu-ref: the oracle every other backend is diffed against. An independent, deliberately
// plain reading of the equations (PyTorch's nn.RNN/LSTM/GRU): loops over t, b, j, k in the
// order a reader would write them, accumulation in double, no BLAS, no threads, and no code
// shared with kernels/.
#pragma once

#include "recur/backend.h"

namespace recur {

class CpuRefBackend final : public Backend {
 public:
  std::string name() const override { return "cpu-ref"; }
  RnnOutputs forward(const RnnSpec& spec, const RnnParams& params, const RnnInputs& in,
                     const ForwardOptions& options) override;
  RnnGrads backward(const RnnSpec& spec, const RnnParams& params, const RnnInputs& in,
                    const RnnOutputs& fwd, const RnnGradOutputs& grads) override;
};

}  // namespace recur
