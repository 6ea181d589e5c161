// The GPU backends recur_bench runs besides the registry's "cuda" and "cudnn": the cuda backend
// forced onto one time loop ("cuda-step", "cuda-persist", and "cuda-bf16": the persistent
// kernels with W_hh in bfloat16; "cuda" itself chooses, see kernels/cuda/persistent_plan.h) and
// cuDNN with each persistent algorithm ("cudnn-static", "cudnn-small-h", "cudnn-dynamic"; "cudnn"
// is CUDNN_RNN_ALGO_STANDARD). Defined in bench/cuda/gpu_variants.cpp (builds with CUDA only).
// CUDA-free header.
#pragma once

#include <memory>
#include <string>

#include "bench_case.h"
#include "recur/backend.h"

namespace recur::bench {

// True for the names above.
bool is_gpu_variant(const std::string& name);
// Makes one of them; throws recur::Error when it cannot (no GPU, cuDNN not built).
std::unique_ptr<Backend> make_gpu_variant(const std::string& name);
// Why a row of `name` would not measure what its name says on `c` ("" when it does): the
// persistent kernel declining the shape (then "cuda-persist" / "cuda-bf16" is skipped with the
// reason).
std::string gpu_variant_skip(const std::string& name, const Backend& backend, const BenchCase& c,
                             DType dtype);
// For rows of "cuda": which time loop ran ("path persistent", "path step: <reason>").
std::string gpu_row_note(const std::string& name, const Backend& backend);
// For rows of the cuDNN variants: the algorithm cuDNN refused for the shape, so that the row
// timed the standard algorithm instead ("" when it ran as asked).
std::string gpu_variant_fallback(const std::string& name, const Backend& backend,
                                 size_t notes_before);
size_t gpu_variant_notes(const std::string& name, const Backend& backend);

}  // namespace recur::bench
