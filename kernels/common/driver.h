// The time-loop driver: forward (inference and training) and backward of every cell, layer
// and direction, written once and templated on an executor (kernels/common/executor.h) that
// supplies the GEMMs, the fused pointwise steps (kernels/common/cell_step.h) and memory. The
// CPU and CUDA backends are thin wrappers: they put the tensors into the executor's memory,
// fill the argument structs (driver_args.h; driver_call.h builds them from a Backend call)
// and call
//
//   template <class E> void forward(E& exec, const ForwardArgs<typename E::value_type>&);
//   template <class E> void backward(E& exec, const BackwardArgs<typename E::value_type>&);
//
// with the sizes of what a call needs from driver_layout.h (saved_elems for the training
// forward's saved region, which the caller keeps until the backward; the scratch is allocated
// by the driver itself).
//
// This header only gathers the parts, none of which includes it:
//   driver_args.h      the argument structs
//   driver_layout.h    Dims (the letters of a call) and how memory is carved
//   driver_forward.h   the forward time loop
//   driver_backward.h  the backward time loop (BPTT)
#pragma once

#include "kernels/common/driver_args.h"
#include "kernels/common/driver_backward.h"
#include "kernels/common/driver_forward.h"
#include "kernels/common/driver_layout.h"
