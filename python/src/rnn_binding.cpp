#include "rnn_binding.h"

#include <pybind11/stl.h>

#include <memory>
#include <string>
#include <utility>

#include "arrays.h"
#include "recur/backend.h"
#include "recur/rnn.h"
#include "spec.h"

namespace recur::python {
namespace {

// lengths as recur takes them: None, or a 1-D numpy array of integers (any integer dtype,
// copied to I64). A float array is refused rather than rounded.
Tensor wrap_lengths(const py::object& obj) {
  if (obj.is_none()) return Tensor();
  const py::array a = py::array::ensure(obj);
  if (!a || (a.dtype().kind() != 'i' && a.dtype().kind() != 'u'))
    throw py::type_error("lengths: expected a 1-D array of integers");
  if (a.ndim() != 1)
    throw py::value_error("lengths: expected a 1-D array, got " + std::to_string(a.ndim()) +
                          " dimensions");
  const auto ints = py::array_t<int64_t, py::array::c_style | py::array::forcecast>::ensure(a);
  Tensor t = Tensor::empty({static_cast<int64_t>(ints.size())}, DType::I64);
  for (py::ssize_t i = 0; i < ints.size(); ++i) t.data<int64_t>()[i] = ints.data()[i];
  return t;
}

// What a training forward leaves for its backward; opaque to Python.
struct Saved {
  RnnOutputs fwd;
};

class Rnn {
 public:
  Rnn(const RnnSpec& spec, const std::string& backend, const std::string& dtype)
      : spec_(spec), zeros_(spec, parse_dtype(dtype)) {
    as_value_error(
        [&] { backend_ = make_backend(backend == "auto" ? default_backend_name() : backend); });
  }

  const RnnSpec& spec() const { return spec_; }
  std::string backend() const { return backend_->name(); }
  std::string dtype() const { return zeros_.dtype() == DType::F32 ? "float32" : "float64"; }
  py::list param_names() const {
    py::list names;
    for (size_t i = 0; i < zeros_.size(); ++i) names.append(zeros_.name(i));
    return names;
  }
  py::list param_shapes() const {
    py::list shapes;
    for (size_t i = 0; i < zeros_.size(); ++i)
      shapes.append(py::tuple(py::cast(zeros_[i].shape())));
    return shapes;
  }

  // Returns (output, h_n, c_n or None, saved or None); saved only when training.
  py::tuple forward(const py::sequence& params, const py::object& input, const py::object& h0,
                    const py::object& c0, bool training, uint64_t dropout_seed,
                    const py::object& lengths) {
    const RnnParams p = wrap_params(params);
    const RnnInputs in = wrap_inputs(input, h0, c0, lengths);
    ForwardOptions options;
    options.training = training;
    options.dropout_seed = dropout_seed;
    RnnOutputs out;
    {
      py::gil_scoped_release release;
      out = backend_->forward(spec_, p, in, options);
    }
    py::object saved = py::none();
    if (training) saved = py::cast(Saved{out});
    return py::make_tuple(to_array(out.output), to_array(out.h_n), to_array(out.c_n), saved);
  }

  // Returns (grad_input, grad_h0, grad_c0 or None, [grad of each parameter]).
  py::tuple backward(const py::sequence& params, const py::object& input, const py::object& h0,
                     const py::object& c0, const Saved& saved, const py::object& grad_output,
                     const py::object& grad_h_n, const py::object& grad_c_n,
                     const py::object& lengths) {
    RECUR_CHECK(saved.fwd.saved, "backward needs the result of a training forward");
    const RnnParams p = wrap_params(params);
    const RnnInputs in = wrap_inputs(input, h0, c0, lengths);
    RnnGradOutputs dout;
    dout.output = wrap_same(grad_output, "grad_output");
    dout.h_n = wrap_same(grad_h_n, "grad_h_n");
    dout.c_n = wrap_same(grad_c_n, "grad_c_n");
    as_value_error([&] { check_backward_args(spec_, p, in, saved.fwd, dout); });
    RnnGrads grads;
    {
      py::gil_scoped_release release;
      grads = backend_->backward(spec_, p, in, saved.fwd, dout);
    }
    py::list dparams;
    for (size_t i = 0; i < grads.params.size(); ++i) dparams.append(to_array(grads.params[i]));
    return py::make_tuple(to_array(grads.input), to_array(grads.h0), to_array(grads.c0), dparams);
  }

 private:
  Tensor wrap_same(const py::handle& obj, const std::string& what) const {
    Tensor t = wrap_optional(obj, what);
    if (t.defined() && t.dtype() != zeros_.dtype())
      throw py::type_error(what + ": expected dtype " + dtype() + ", got " +
                           (t.dtype() == DType::F32 ? "float32" : "float64"));
    return t;
  }

  // Shallow copies of the zero parameters with every slot replaced: no allocation per call.
  RnnParams wrap_params(const py::sequence& params) const {
    if (params.size() != zeros_.size())
      throw py::value_error("expected " + std::to_string(zeros_.size()) + " parameters, got " +
                            std::to_string(params.size()));
    RnnParams p = zeros_;
    for (size_t i = 0; i < zeros_.size(); ++i) {
      Tensor t = wrap_same(params[i], zeros_.name(i));
      as_value_error([&] { p.set(i, std::move(t)); });
    }
    return p;
  }

  RnnInputs wrap_inputs(const py::object& input, const py::object& h0, const py::object& c0,
                        const py::object& lengths) const {
    RnnInputs in;
    in.input = wrap_same(input, "input");
    in.h0 = wrap_same(h0, "h0");
    in.c0 = wrap_same(c0, "c0");
    in.lengths = wrap_lengths(lengths);
    as_value_error([&] { check_forward_args(spec_, zeros_, in); });
    return in;
  }

  RnnSpec spec_;
  std::shared_ptr<Backend> backend_;
  RnnParams zeros_;
};

}  // namespace

void bind_rnn(py::module_& m) {
  py::class_<Saved>(m, "Saved", "What a training forward keeps for its backward.");
  py::class_<Rnn>(m, "Rnn")
      .def(py::init([](const std::string& mode, int64_t input_size, int64_t hidden_size,
                       int64_t num_layers, bool bias, bool batch_first, double dropout,
                       bool bidirectional, const std::string& backend, const std::string& dtype,
                       int64_t proj_size) {
             return Rnn(make_spec(mode, input_size, hidden_size, num_layers, bias, batch_first,
                                  dropout, bidirectional, proj_size),
                        backend, dtype);
           }),
           py::arg("mode"), py::arg("input_size"), py::arg("hidden_size"),
           py::arg("num_layers") = 1, py::arg("bias") = true, py::arg("batch_first") = false,
           py::arg("dropout") = 0.0, py::arg("bidirectional") = false, py::arg("backend") = "auto",
           py::arg("dtype") = "float32", py::arg("proj_size") = 0)
      .def_property_readonly("backend", &Rnn::backend)
      .def_property_readonly("dtype", &Rnn::dtype)
      .def_property_readonly("mode", [](const Rnn& r) { return cell_name(r.spec().cell); })
      .def("param_names", &Rnn::param_names)
      .def("param_shapes", &Rnn::param_shapes)
      .def("forward", &Rnn::forward, py::arg("params"), py::arg("input"), py::arg("h0"),
           py::arg("c0"), py::arg("training") = false, py::arg("dropout_seed") = 0,
           py::arg("lengths") = py::none())
      .def("backward", &Rnn::backward, py::arg("params"), py::arg("input"), py::arg("h0"),
           py::arg("c0"), py::arg("saved"), py::arg("grad_output"), py::arg("grad_h_n"),
           py::arg("grad_c_n"), py::arg("lengths") = py::none());
}

}  // namespace recur::python
