// CopyRun: one contiguous copy, the unit in which parameter blocks move into and out of cuDNN's
// weight space. Kept free of other includes so that the copy kernel (copy_runs.cu) can use it.
#pragma once

#include <cstddef>

namespace recur::cudnn {

struct CopyRun {
  const void* src = nullptr;
  void* dst = nullptr;
  size_t bytes = 0;
};

}  // namespace recur::cudnn
