// Conversions between numpy arrays (and so CPU torch tensors, through Tensor.numpy()) and
// recur::Tensor, without copies in either direction.
//
// Errors name the argument: TypeError for something that is not a float32/float64 numpy
// array (or has the wrong dtype), ValueError for a non-contiguous one.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <string>

#include "recur/tensor.h"

namespace recur::python {

namespace py = pybind11;

// `obj` must be a C-contiguous, native-endian float32 or float64 numpy array. The tensor
// shares its memory and keeps the array alive (the reference is dropped under the GIL).
Tensor wrap_array(const py::handle& obj, const std::string& what);
// None gives an undefined tensor.
Tensor wrap_optional(const py::handle& obj, const std::string& what);
// A numpy array over t's storage (kept alive by the array); None when t is undefined.
// F16/BF16 tensors are converted to float32 (a copy); I32/I64 (sequence lengths) stay integers.
py::object to_array(const Tensor& t);
// The dtype of F32/F64 as numpy spells it ("float32", "float64").
DType parse_dtype(const std::string& name);

}  // namespace recur::python
