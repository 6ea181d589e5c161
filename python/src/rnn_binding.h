// recur._core.Rnn: one network description bound to a backend, whose forward and backward take
// the parameters and data as numpy arrays on every call (so the caller, e.g. a torch.nn.Module,
// owns the parameters) and return numpy arrays over recur's own results, copying nothing.
#pragma once

#include <pybind11/pybind11.h>

namespace recur::python {

void bind_rnn(pybind11::module_& m);

}  // namespace recur::python
