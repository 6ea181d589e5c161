// recur._core: the compiled part of the Python package (see python/recur/__init__.py).
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "io_binding.h"
#include "recur/backend.h"
#include "recur/error.h"
#include "recur/version.h"
#include "rnn_binding.h"

PYBIND11_MODULE(_core, m) {
  m.doc() = "recur's C++ library: RNN forward/backward on numpy arrays, files, checkpoints";
  pybind11::register_exception<recur::Error>(m, "Error", PyExc_RuntimeError);
  m.attr("__version__") = recur::version();
  m.def("backend_names", &recur::backend_names);
  m.def("default_backend_name", &recur::default_backend_name);
  recur::python::bind_rnn(m);
  recur::python::bind_io(m);
}
