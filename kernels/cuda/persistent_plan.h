// When the cuda backend runs a call's recurrence as persistent kernels (persistent.cu) instead
// of step by step, and with which grid: plain host code without CUDA headers, so that the
// arithmetic is unit-tested in every build (tests/test_cuda_persistent_plan.cpp). The
// performance model is docs/PERFORMANCE.md's (bench/persistent_model.py prints its tables).
//
// The grid of one direction: block k owns the hidden units [k*S, min((k+1)*S, H)) across all G
// gates, blocks = ceil(H / S). S is the smallest slice that spreads H over the blocks the card
// holds at once (SMs / directions), but at least enough units for kMinFmasPerThread
// multiply-adds per thread and step: with little work, fewer blocks meet at the barrier. The
// forward block keeps W_hh's G*S rows of those units in shared memory ([G*S, roundup(H, 32)]), the
// backward block W_hh's S columns ([S, roundup(G*H, 32)]), each with kPersistentThreads floats more
// for its sums. Bidirectional layers run their two directions as two concurrent grids, each sized
// for half the SMs.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "recur/rnn.h"
#include "recur/tensor.h"

namespace recur::cuda {

// Which time loop the cuda backend runs: Auto picks the persistent kernel where it fits and the
// model predicts it faster; Persistent wherever it fits; Step never. The backend's default comes
// from the environment variable RECUR_CUDA_PATH=auto|persistent|step (unset: auto).
enum class CudaPath { Auto, Persistent, Step };

// "auto", "persistent", "step".
const char* cuda_path_name(CudaPath path);
// RECUR_CUDA_PATH's value, `fallback` when unset; any other value throws recur::Error naming
// the variable and the accepted values.
CudaPath cuda_path_from_env(CudaPath fallback = CudaPath::Auto);

enum class PersistentPass { Forward, Backward };

constexpr int kPersistentThreads = 256;  // threads per block: 8 warps
constexpr int64_t kMinFmasPerThread = 16;

struct PersistentShape {
  int64_t slice = 0;   // S: hidden units per block
  int64_t blocks = 0;  // per direction
  int64_t smem_bytes = 0;
  bool bf16 = false;  // W_hh held in bfloat16 (PersistentRequest::bf16)
};

// What the planner needs to know of the card.
struct PersistentDevice {
  int sms = 0;                 // multiprocessors
  int64_t smem_per_block = 0;  // the opt-in limit of dynamic shared memory per block
  bool cooperative = false;    // cooperative launches supported
  // Blocks of the persistent kernel of `cell` and `pass` with `smem_bytes` of dynamic shared
  // memory that fit on one SM at once (cudaOccupancyMaxActiveBlocksPerMultiprocessor).
  std::function<int(Cell cell, PersistentPass pass, bool bf16, int64_t smem_bytes)> blocks_per_sm;
};

struct PersistentRequest {
  RnnSpec spec;
  DType dtype = DType::F32;
  int64_t T = 0, B = 0;
  PersistentPass pass = PersistentPass::Forward;
  CudaPath path = CudaPath::Auto;
  int64_t blocks = 0;  // per direction, as a test asks for it (at most the card's); 0: planned
  // Hold W_hh on chip in bfloat16 (half the shared memory, so larger H fit) and round the
  // vector of each dot product (h_{t-1}, dG_t) to bfloat16; sums and everything else float32.
  // Results within 1e-2 instead of 1e-4.
  bool bf16 = false;
  bool ragged = false;  // the call has RnnInputs::lengths (a variable-length batch)
};

// S for batch B with at most `max_blocks` blocks per direction; exactly that many (or H) when
// `exact`.
int64_t persistent_slice(const RnnSpec& spec, int64_t B, int64_t max_blocks, bool exact);
// The grid and shared memory of slice S (W_hh in bfloat16 when `bf16`).
PersistentShape persistent_shape(const RnnSpec& spec, PersistentPass pass, int64_t slice,
                                 bool bf16 = false);

// Why the persistent kernel does not run this request (the step path runs instead, and the
// reason is reported), or "" when it runs; then *shape is its grid. The only place that
// decides: a new limitation of the kernel is one more reason here.
std::string persistent_decline_reason(const PersistentRequest& request,
                                      const PersistentDevice& device, PersistentShape* shape);

// The model's predicted microseconds per step of one direction on an H100 SXM (PERFORMANCE.md):
// the persistent kernel as built (v1) with `blocks` blocks, and the step path.
double predicted_persistent_us(const RnnSpec& spec, int64_t B, int64_t blocks);
double predicted_step_us(const RnnSpec& spec, int64_t B);

}  // namespace recur::cuda
