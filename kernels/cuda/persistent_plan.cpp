// The persistent kernel's planner and eligibility (persistent_plan.h).
#include "kernels/cuda/persistent_plan.h"

#include <algorithm>
#include <cstdlib>
#include <string_view>

#include <fmt/format.h>

#include "recur/error.h"

namespace recur::cuda {
namespace {

int64_t ceil_div(int64_t a, int64_t b) {
  return (a + b - 1) / b;
}
int64_t round_up_32(int64_t n) {
  return ceil_div(n, 32) * 32;
}

// The model's constants (docs/PERFORMANCE.md, bench/persistent_model.py): an H100 SXM.
constexpr double kSms = 132;
constexpr double kFfmaPeak = 132 * 128 * 2 * 1.98e9;  // f32 FLOP/s
constexpr double kBarrier = 1.0e-6;                   // one this_grid().sync(): an assumption
constexpr double kL2Latency = 0.3e-6;
constexpr double kL2Bandwidth = 5.5e12;  // bytes/s
constexpr double kLaunch = 2.5e-6;       // one small kernel of the step path

}  // namespace

const char* cuda_path_name(CudaPath path) {
  switch (path) {
    case CudaPath::Auto:
      return "auto";
    case CudaPath::Persistent:
      return "persistent";
    case CudaPath::Step:
      return "step";
  }
  return "?";
}

CudaPath cuda_path_from_env(CudaPath fallback) {
  const char* env = std::getenv("RECUR_CUDA_PATH");
  if (!env || !*env) return fallback;
  const std::string_view v(env);
  for (CudaPath p : {CudaPath::Auto, CudaPath::Persistent, CudaPath::Step}) {
    if (v == cuda_path_name(p)) return p;
  }
  RECUR_FAIL("RECUR_CUDA_PATH={}: expected auto, persistent or step", v);
}

int64_t persistent_slice(const RnnSpec& spec, int64_t B, int64_t max_blocks, bool exact) {
  RECUR_CHECK(max_blocks >= 1 && B >= 1, "persistent_slice: max_blocks {} and B {} must be >= 1",
              max_blocks, B);
  const int64_t H = spec.hidden_size;
  const int64_t spread = ceil_div(H, max_blocks);
  if (exact) return spread;
  const int64_t work = ceil_div(kMinFmasPerThread * kPersistentThreads, spec.gates() * H * B);
  return std::min(H, std::max(spread, work));
}

PersistentShape persistent_shape(const RnnSpec& spec, PersistentPass pass, int64_t slice,
                                 bool bf16) {
  RECUR_CHECK(slice >= 1, "persistent_shape: slice {} < 1", slice);
  const int64_t H = spec.hidden_size, G = spec.gates();
  PersistentShape s;
  s.slice = slice;
  s.blocks = ceil_div(H, s.slice);
  const int64_t floats =
      pass == PersistentPass::Forward ? G * s.slice * round_up_32(H) : s.slice * round_up_32(G * H);
  // The weights (rounded up to 16 bytes), then kPersistentThreads float sums.
  const int64_t weight_bytes = (floats * (bf16 ? 2 : 4) + 15) / 16 * 16;
  s.smem_bytes = weight_bytes + kPersistentThreads * static_cast<int64_t>(sizeof(float));
  s.bf16 = bf16;
  return s;
}

double predicted_persistent_us(const RnnSpec& spec, int64_t B, int64_t blocks) {
  const double H = static_cast<double>(spec.hidden_size), G = static_cast<double>(spec.gates());
  const double nb = static_cast<double>(blocks), b = static_cast<double>(B);
  // v1: one shared-memory load per FFMA (a quarter of the peak), plus the gate round trip.
  const double compute = 2 * b * G * H * H / (kFfmaPeak / 4 * std::min(1.0, nb / kSms));
  const double l2 = kL2Latency + nb * b * H * 4 / kL2Bandwidth;
  return (kBarrier + compute + l2 + kL2Latency) * 1e6;
}

double predicted_step_us(const RnnSpec& spec, int64_t B) {
  const double H = static_cast<double>(spec.hidden_size), G = static_cast<double>(spec.gates());
  const double b = static_cast<double>(B);
  const double gemm = std::max(G * H * H * 4 / kL2Bandwidth, 2 * b * G * H * H / (0.5 * kFfmaPeak));
  return (2 * kLaunch + gemm) * 1e6;
}

namespace {

// The cells persistent.cu has kernels for (a new cell is declined until it has them).
bool has_kernels(Cell cell) {
  switch (cell) {
    case Cell::RNN_TANH:
    case Cell::RNN_RELU:
    case Cell::LSTM:
    case Cell::GRU:
      return true;
  }
  return false;
}

}  // namespace

std::string persistent_decline_reason(const PersistentRequest& r, const PersistentDevice& device,
                                      PersistentShape* shape) {
  const RnnSpec& spec = r.spec;
  if (r.path == CudaPath::Step) return "the step path was asked for (RECUR_CUDA_PATH or options)";
  if (!has_kernels(spec.cell)) return "the persistent kernels have no kernel for this cell";
  if (spec.proj_size > 0) return "the persistent kernels have no LSTM projection (proj_size) yet";
  if (r.ragged) return "the persistent kernels take no variable-length batches (lengths) yet";
  if (r.dtype != DType::F32)
    return fmt::format("the persistent kernel runs float32 only, not {}", dtype_name(r.dtype));
  if (!device.cooperative) return "the device has no cooperative launches";
  const int64_t D = spec.directions();
  int64_t max_blocks = std::max<int64_t>(1, device.sms / D);
  if (r.blocks > 0) max_blocks = std::min(max_blocks, r.blocks);
  const PersistentShape s =
      persistent_shape(spec, r.pass, persistent_slice(spec, r.B, max_blocks, r.blocks > 0), r.bf16);
  const char* what = r.pass == PersistentPass::Forward ? "rows" : "columns";
  if (s.smem_bytes > device.smem_per_block)
    return fmt::format(
        "W_hh does not fit on chip: {} units of H = {} per block need {} {} of W_hh ({}), {} "
        "bytes of shared memory, above the device's {} per block",
        s.slice, spec.hidden_size, s.slice * spec.gates(), what, r.bf16 ? "bfloat16" : "float32",
        s.smem_bytes, device.smem_per_block);
  const int per_sm = device.blocks_per_sm(spec.cell, r.pass, r.bf16, s.smem_bytes);
  if (per_sm < 1)
    return fmt::format("a block of {} threads with {} bytes of shared memory cannot be resident",
                       kPersistentThreads, s.smem_bytes);
  if (s.blocks > static_cast<int64_t>(per_sm) * device.sms)
    return fmt::format("{} blocks cannot all be resident ({} per SM x {} SMs)", s.blocks, per_sm,
                       device.sms);
  if (r.path == CudaPath::Auto) {
    const double persistent = predicted_persistent_us(spec, r.B, s.blocks);
    const double step = predicted_step_us(spec, r.B);
    if (persistent >= step)
      return fmt::format(
          "the model predicts the step path faster at B = {} ({:.1f} against {:.1f} us per step)",
          r.B, step, persistent);
  }
  *shape = s;
  return "";
}

}  // namespace recur::cuda
