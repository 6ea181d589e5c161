// GPU timing of the cuda and cudnn backends (compiled only when RECUR_CUDA is on; then
// RECUR_BENCH_GPU is 1). CUDA-free header.
//
// The case's host data is copied to the device once, outside the timing; the backends take
// device tensors (Device::CUDA) for inputs and parameters and return device tensors, so a timed
// call moves nothing across PCIe. A call is bracketed by CUDA events on the legacy default
// stream with a device synchronization before the start and before the stop event, so the time
// covers all the call's work on whatever streams the backend uses, launch overhead included.
#pragma once

#include "bench_case.h"
#include "case_data.h"
#include "recur/backend.h"
#include "timing.h"

namespace recur::bench {

// Times calls of `backend` on `c` (a training call is forward + backward). The first call's
// results are copied back and checked (shape, finite) before any timing is trusted.
Timing time_on_device(Backend& backend, const BenchCase& c, const CaseData& host,
                      const TimingOptions& options);

}  // namespace recur::bench
