// Runs one kernel launch on the CPU: every CUDA thread a fiber, blocks in a shuffled order,
// threads resumed in a shuffled order at every barrier; a cooperative launch keeps all its
// blocks resident (one host thread each, taking turns) so that the grid can synchronise.
#pragma once

#include <cstdint>
#include <string>

#include "simt/kernel_api.h"

namespace simt::detail {

// Executes the launch to completion. A fault (deadlock at a barrier, a bad warp mask,
// __trap) stops it; the return value is then the sticky error and *what says why.
cudaError_t run_launch(const LaunchRequest& request, uint64_t seed, std::string* what);

}  // namespace simt::detail
