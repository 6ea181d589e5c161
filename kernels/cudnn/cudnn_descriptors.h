// RAII owners for the cuDNN handle and the descriptors the RNN backend uses. Each wrapper creates
// its object in the constructor (checked) and destroys it in the destructor (unchecked:
// destructors do not throw). Move-only. Internal header (includes cuDNN).
#pragma once

#include <utility>

#include <cudnn.h>

#include "kernels/cudnn/cudnn_check.h"

namespace recur::cudnn {

// One owner template for every cuDNN object type T with a create and a destroy function.
template <class T, cudnnStatus_t (*Create)(T*), cudnnStatus_t (*Destroy)(T)>
class Owned {
 public:
  Owned() { CUDNN_CHECK(Create(&object_)); }
  ~Owned() {
    if (object_) (void)Destroy(object_);
  }
  Owned(Owned&& other) noexcept : object_(std::exchange(other.object_, nullptr)) {}
  Owned& operator=(Owned&& other) noexcept {
    if (this != &other) {
      if (object_) (void)Destroy(object_);
      object_ = std::exchange(other.object_, nullptr);
    }
    return *this;
  }
  Owned(const Owned&) = delete;
  Owned& operator=(const Owned&) = delete;

  T get() const { return object_; }

 private:
  T object_ = nullptr;
};

using Handle = Owned<cudnnHandle_t, cudnnCreate, cudnnDestroy>;
using RnnDescriptor =
    Owned<cudnnRNNDescriptor_t, cudnnCreateRNNDescriptor, cudnnDestroyRNNDescriptor>;
using RnnDataDescriptor =
    Owned<cudnnRNNDataDescriptor_t, cudnnCreateRNNDataDescriptor, cudnnDestroyRNNDataDescriptor>;
using DropoutDescriptor =
    Owned<cudnnDropoutDescriptor_t, cudnnCreateDropoutDescriptor, cudnnDestroyDropoutDescriptor>;
using TensorDescriptor =
    Owned<cudnnTensorDescriptor_t, cudnnCreateTensorDescriptor, cudnnDestroyTensorDescriptor>;

}  // namespace recur::cudnn
