// CUDNN_CHECK: every cuDNN call is checked; a failure throws CudnnError (a recur::Error) carrying
// the status name, cuDNN's own last-error text, the call's text, the file and the line. The
// status is kept so that callers can tell "not supported" (fall back to another algorithm) from
// real failures. Internal header (includes cuDNN).
#pragma once

#include <string>

#include <cudnn.h>

#include "recur/error.h"

namespace recur::cudnn {

class CudnnError : public Error {
 public:
  CudnnError(cudnnStatus_t status, const std::string& message) : Error(message), status_(status) {}
  cudnnStatus_t status() const { return status_; }
  // Any CUDNN_STATUS_NOT_SUPPORTED* or CUDNN_STATUS_BAD_PARAM* code (cuDNN 9 refines each
  // category into sub-codes): how cuDNN turns down a configuration an algorithm cannot run (the
  // persistent kernels' limits are reported either way). Callers retry with the standard
  // algorithm, where a genuine argument error is reported again and thrown.
  bool refuses_configuration() const;

 private:
  cudnnStatus_t status_;
};

[[noreturn]] void throw_cudnn_error(cudnnStatus_t status, const char* call, const char* file,
                                    int line);

}  // namespace recur::cudnn

#define CUDNN_CHECK(call)                                                                \
  do {                                                                                   \
    const cudnnStatus_t recur_cudnn_status_ = (call);                                    \
    if (recur_cudnn_status_ != CUDNN_STATUS_SUCCESS)                                     \
      ::recur::cudnn::throw_cudnn_error(recur_cudnn_status_, #call, __FILE__, __LINE__); \
  } while (0)
