#include "spec.h"

namespace recur::python {

RnnSpec make_spec(const std::string& mode, int64_t input_size, int64_t hidden_size,
                  int64_t num_layers, bool bias, bool batch_first, double dropout,
                  bool bidirectional, int64_t proj_size) {
  RnnSpec spec;
  as_value_error([&] {
    spec.cell = parse_cell(mode);
    spec.input_size = input_size;
    spec.hidden_size = hidden_size;
    spec.num_layers = num_layers;
    spec.bias = bias;
    spec.batch_first = batch_first;
    spec.dropout = dropout;
    spec.bidirectional = bidirectional;
    spec.proj_size = proj_size;
    spec.validate();
  });
  return spec;
}

py::dict spec_to_dict(const RnnSpec& spec) {
  py::dict d;
  d["mode"] = cell_name(spec.cell);
  d["input_size"] = spec.input_size;
  d["hidden_size"] = spec.hidden_size;
  d["num_layers"] = spec.num_layers;
  d["bias"] = spec.bias;
  d["batch_first"] = spec.batch_first;
  d["dropout"] = spec.dropout;
  d["bidirectional"] = spec.bidirectional;
  d["proj_size"] = spec.proj_size;
  return d;
}

}  // namespace recur::python
