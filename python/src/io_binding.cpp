#include "io_binding.h"

#include <pybind11/stl.h>

#include <map>
#include <memory>
#include <string>
#include <utility>

#include "arrays.h"
#include "recur/backend.h"
#include "recur/model_io.h"
#include "recur/safetensors.h"
#include "recur/train/model.h"
#include "recur/train/sine_task.h"
#include "spec.h"

namespace recur::python {
namespace {

// (metadata, {name: array}) of any safetensors file, in its file's dtypes (F16/BF16 as F32).
py::tuple read_tensors(const std::string& path) {
  const TensorFile file = read_safetensors(path);
  py::dict tensors;
  for (const auto& [name, t] : file.tensors) tensors[py::str(name)] = to_array(t);
  return py::make_tuple(file.metadata, tensors);
}

void write_tensors(const std::string& path, const py::dict& tensors,
                   const std::map<std::string, std::string>& metadata) {
  TensorFile file;
  file.metadata = metadata;
  for (const auto& [name, value] : tensors) {
    const std::string key = py::cast<std::string>(name);
    file.add(key, wrap_array(value, key));
  }
  write_safetensors(path, file);
}

bool is_checkpoint(const TensorFile& file) {
  return file.metadata.count("head") > 0 || file.metadata.count("task") > 0;
}

// (spec dict, [names], [arrays]): a `recur run` weights file (exactly the parameters) or a
// recur checkpoint (its RNN part; the head, embedding and optimizer state are left out).
py::tuple read_network(const std::string& path, const std::string& dtype) {
  const TensorFile file = read_safetensors(path);
  const RnnSpec spec = spec_from_metadata(file.metadata, path);
  const RnnParams params =
      params_from_file(spec, file, path, parse_dtype(dtype), /*allow_extra=*/is_checkpoint(file));
  py::list names, arrays;
  for (size_t i = 0; i < params.size(); ++i) {
    names.append(params.name(i));
    arrays.append(to_array(params[i]));
  }
  return py::make_tuple(spec_to_dict(spec), names, arrays);
}

void write_network(const std::string& path, const py::dict& spec_kwargs, const py::list& arrays) {
  const RnnSpec spec = make_spec(
      py::cast<std::string>(spec_kwargs["mode"]), py::cast<int64_t>(spec_kwargs["input_size"]),
      py::cast<int64_t>(spec_kwargs["hidden_size"]), py::cast<int64_t>(spec_kwargs["num_layers"]),
      py::cast<bool>(spec_kwargs["bias"]), py::cast<bool>(spec_kwargs["batch_first"]),
      py::cast<double>(spec_kwargs["dropout"]), py::cast<bool>(spec_kwargs["bidirectional"]),
      spec_kwargs.contains("proj_size") ? py::cast<int64_t>(spec_kwargs["proj_size"]) : 0);
  const DType dtype = arrays.empty() ? DType::F32 : wrap_array(arrays[0], "parameter 0").dtype();
  RnnParams params(spec, dtype);
  if (arrays.size() != params.size())
    throw py::value_error("expected " + std::to_string(params.size()) + " parameters, got " +
                          std::to_string(arrays.size()));
  for (size_t i = 0; i < params.size(); ++i) {
    Tensor t = wrap_array(arrays[i], params.name(i));
    as_value_error([&] { params.set(i, std::move(t)); });
  }
  TensorFile file;
  file.metadata = spec_to_metadata(spec);
  add_params(file, params);
  write_safetensors(path, file);
}

// A trained model from a recur checkpoint: the RNN, its head and (chars) its embedding.
class Model {
 public:
  Model(const std::string& path, const std::string& backend, const std::string& dtype) {
    const TensorFile file = read_safetensors(path);
    metadata_ = file.metadata;
    std::shared_ptr<Backend> b = make_backend(backend == "auto" ? default_backend_name() : backend);
    model_ = std::make_unique<train::Model>(
        train::Model::load(file, std::move(b), path, parse_dtype(dtype)));
  }

  // x [T, B, I] -> the head on the last step [B, out] ("last") or on every step [T*B, out].
  py::object predict(const py::object& x, const std::string& readout) {
    Tensor in = wrap_array(x, "x");
    if (in.dtype() != model_->dtype())
      throw py::type_error("x: expected dtype " + std::string(dtype_name(model_->dtype())) +
                           ", got " + dtype_name(in.dtype()));
    const train::Readout r = parse_readout(readout);
    Tensor y;
    {
      py::gil_scoped_release release;
      y = model_->forward(in, r, /*training=*/false);
    }
    return to_array(y);
  }

  // ids [T, B] of int tokens -> logits [T*B, vocab], row t*B + b.
  py::object predict_tokens(
      const py::array_t<int32_t, py::array::c_style | py::array::forcecast>& ids) {
    if (!model_->has_embedding()) throw py::value_error("this model has no embedding");
    if (ids.ndim() != 2) throw py::value_error("ids: expected shape [T, B]");
    std::vector<int32_t> v(ids.data(), ids.data() + ids.size());
    Tensor y;
    as_value_error([&] {
      y = model_->forward_tokens(v, ids.shape(0), ids.shape(1), train::Readout::All, false);
    });
    return to_array(y);
  }

  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  py::dict spec() const { return spec_to_dict(model_->spec()); }

 private:
  static train::Readout parse_readout(const std::string& r) {
    if (r == "last") return train::Readout::Last;
    if (r == "all") return train::Readout::All;
    throw py::value_error("readout must be 'last' or 'all', got '" + r + "'");
  }

  std::map<std::string, std::string> metadata_;
  std::unique_ptr<train::Model> model_;
};

// A `recur train sine` checkpoint's predictions of its test targets, in the series' units:
// (predictions, targets) as float64 arrays.
py::tuple sine_test_predictions(const std::string& path, const std::string& backend) {
  train::SineTask task = train::SineTask::resume(path, backend);
  const std::vector<double> pred = task.predict_test();
  const std::vector<double>& series = task.series();
  const auto start = series.begin() + task.split().split;
  const std::vector<double> target(start, start + static_cast<std::ptrdiff_t>(pred.size()));
  return py::make_tuple(py::array(py::cast(pred)), py::array(py::cast(target)));
}

}  // namespace

void bind_io(py::module_& m) {
  m.def("read_tensors", &read_tensors, py::arg("path"));
  m.def("write_tensors", &write_tensors, py::arg("path"), py::arg("tensors"),
        py::arg("metadata") = std::map<std::string, std::string>{});
  m.def("read_network", &read_network, py::arg("path"), py::arg("dtype") = "float32");
  m.def("write_network", &write_network, py::arg("path"), py::arg("spec"), py::arg("params"));
  m.def("sine_test_predictions", &sine_test_predictions, py::arg("path"), py::arg("backend") = "");
  py::class_<Model>(m, "Model")
      .def(py::init<const std::string&, const std::string&, const std::string&>(), py::arg("path"),
           py::arg("backend") = "auto", py::arg("dtype") = "float32")
      .def("predict", &Model::predict, py::arg("x"), py::arg("readout") = "last")
      .def("predict_tokens", &Model::predict_tokens, py::arg("ids"))
      .def_property_readonly("metadata", &Model::metadata)
      .def_property_readonly("spec", &Model::spec);
}

}  // namespace recur::python
