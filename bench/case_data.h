// The data one benchmark shape runs on, made once per shape on the host and shared by every
// backend and mode: random parameters (PyTorch's init), random input and initial states, and
// random gradients of every output for the backward. Never zeros: a kernel that skips work
// on zeros must not look fast here.
#pragma once

#include <cstdint>

#include "bench_case.h"
#include "recur/backend.h"

namespace recur::bench {

struct CaseData {
  RnnSpec spec;
  RnnParams params;      // host, `dtype`
  RnnInputs inputs;      // host: input [T, B, I], h0 [L*D, B, H], c0 (LSTM), lengths (ragged)
  RnnGradOutputs grads;  // host: output [T, B, D*H], h_n, c_n (LSTM); set only for training
};

// `seed` makes runs reproducible; the data's values do not change the work done.
CaseData make_case_data(const BenchCase& c, DType dtype, uint64_t seed);

// Throws recur::Error naming `what` when `t` is undefined, not of `shape`, or holds a NaN or
// an infinity (host tensors only). Guards against timing a backend that computes nothing.
void check_finite(const Tensor& t, const Shape& shape, const char* what);

// The checks above for the results of one call: the forward's output and, after a backward,
// the input gradient.
void check_forward_result(const BenchCase& c, const RnnOutputs& out);
void check_backward_result(const BenchCase& c, const RnnGrads& grads);

}  // namespace recur::bench
