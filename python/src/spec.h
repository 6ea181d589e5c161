// The network description as Python passes it (torch.nn's argument names) and returns it (a
// dict of the same names), and the library's errors about bad arguments as ValueError.
#pragma once

#include <pybind11/pybind11.h>

#include <string>

#include "recur/error.h"
#include "recur/rnn.h"

namespace recur::python {

namespace py = pybind11;

// Runs `f`, turning a recur::Error (an argument that does not fit) into ValueError.
template <class F>
void as_value_error(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    throw py::value_error(e.what());
  }
}

// mode is "RNN_TANH", "RNN_RELU", "LSTM" or "GRU"; a bad field raises ValueError naming it.
RnnSpec make_spec(const std::string& mode, int64_t input_size, int64_t hidden_size,
                  int64_t num_layers, bool bias, bool batch_first, double dropout,
                  bool bidirectional, int64_t proj_size = 0);
// {"mode", "input_size", "hidden_size", "num_layers", "bias", "batch_first", "dropout",
// "bidirectional", "proj_size"}: the keyword arguments of make_spec.
py::dict spec_to_dict(const RnnSpec& spec);

}  // namespace recur::python
