#include "kernels/cudnn/copy_runs.h"

#include <algorithm>
#include <cstdint>

#include "kernels/cuda/cuda_check.h"

namespace recur::cudnn {

namespace {

// Runs per launch: they travel as a kernel argument (96 * 24 bytes, under the 4 KiB limit), so no
// device-side table has to be uploaded or kept in sync.
constexpr int kRunsPerLaunch = 96;
constexpr int kThreads = 256;
constexpr unsigned kMaxBlocksPerRun = 256;

struct RunBatch {
  CopyRun runs[kRunsPerLaunch];
};

// Block row blockIdx.y copies run blockIdx.y in 4-byte words, grid-striding over x.
__global__ void copy_runs_kernel(RunBatch batch) {
  const CopyRun run = batch.runs[blockIdx.y];
  const auto* src = static_cast<const uint32_t*>(run.src);
  auto* dst = static_cast<uint32_t*>(run.dst);
  const size_t words = run.bytes / sizeof(uint32_t);
  const size_t stride = static_cast<size_t>(gridDim.x) * blockDim.x;
  for (size_t i = static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < words;
       i += stride)
    dst[i] = src[i];
}

bool word_aligned(const void* p) {
  return reinterpret_cast<uintptr_t>(p) % sizeof(uint32_t) == 0;
}

}  // namespace

void copy_runs_device(const std::vector<CopyRun>& runs, cudaStream_t stream) {
  for (size_t first = 0; first < runs.size(); first += kRunsPerLaunch) {
    const size_t count = std::min(runs.size() - first, static_cast<size_t>(kRunsPerLaunch));
    RunBatch batch{};
    size_t max_words = 0;
    for (size_t i = 0; i < count; ++i) {
      const CopyRun& r = runs[first + i];
      RECUR_ASSERT(word_aligned(r.src) && word_aligned(r.dst) && r.bytes % sizeof(uint32_t) == 0);
      batch.runs[i] = r;
      max_words = std::max(max_words, r.bytes / sizeof(uint32_t));
    }
    if (max_words == 0) continue;
    const size_t blocks = std::min<size_t>((max_words + kThreads - 1) / kThreads, kMaxBlocksPerRun);
    const dim3 grid(static_cast<unsigned>(blocks), static_cast<unsigned>(count));
    copy_runs_kernel<<<grid, kThreads, 0, stream>>>(batch);
    CUDA_CHECK_LAUNCH();
  }
}

}  // namespace recur::cudnn
