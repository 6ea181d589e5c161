#include "cpu_reference/cpu_ref.h"

#include "kernels/backends.h"

namespace recur {
RnnOutputs CpuRefBackend::forward(const RnnSpec&, const RnnParams&, const RnnInputs&, const ForwardOptions&) { RECUR_FAIL("todo"); }
RnnGrads CpuRefBackend::backward(const RnnSpec&, const RnnParams&, const RnnInputs&, const RnnOutputs&, const RnnGradOutputs&) { RECUR_FAIL("todo"); }
std::unique_ptr<Backend> make_cpu_ref_backend() { return std::make_unique<CpuRefBackend>(); }
}  // namespace recur
