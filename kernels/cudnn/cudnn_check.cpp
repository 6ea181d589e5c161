#include "kernels/cudnn/cudnn_check.h"

#include <array>

namespace recur::cudnn {

bool CudnnError::refuses_configuration() const {
  const int category = CUDNN_STATUS_CATEGORY(status_);
  return category == CUDNN_STATUS_NOT_SUPPORTED || category == CUDNN_STATUS_BAD_PARAM;
}

void throw_cudnn_error(cudnnStatus_t status, const char* call, const char* file, int line) {
  // cuDNN 9 keeps a per-thread description of the last failure that is often more specific
  // than the status name ("... hiddenSize must be ..."); empty when there is none.
  std::array<char, 512> detail{};
  cudnnGetLastErrorString(detail.data(), detail.size());
  const std::string extra = detail[0] ? fmt::format(" [{}]", detail.data()) : std::string();
  throw CudnnError(status,
                   fmt::format("cuDNN error {} ({}){} in {} at {}:{}", cudnnGetErrorString(status),
                               static_cast<int>(status), extra, call, file, line));
}

}  // namespace recur::cudnn
