// Files and trained models from Python: safetensors files as dicts of numpy arrays, networks
// (a `recur run` weights file or the RNN part of a recur checkpoint) as (spec, parameters), and
// recur checkpoints as models that predict.
#pragma once

#include <pybind11/pybind11.h>

namespace recur::python {

void bind_io(pybind11::module_& m);

}  // namespace recur::python
