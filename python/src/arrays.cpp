#include "arrays.h"

#include <memory>
#include <vector>

namespace recur::python {

Tensor wrap_array(const py::handle& obj, const std::string& what) {
  if (!py::isinstance<py::array>(obj))
    throw py::type_error(what + ": expected a numpy array, got " +
                         std::string(py::str(py::type::of(obj).attr("__name__"))));
  auto arr = py::reinterpret_borrow<py::array>(obj);
  DType dtype;
  if (py::isinstance<py::array_t<float, 0>>(arr))
    dtype = DType::F32;
  else if (py::isinstance<py::array_t<double, 0>>(arr))
    dtype = DType::F64;
  else
    throw py::type_error(what + ": dtype must be float32 or float64, got " +
                         std::string(py::str(arr.dtype())));
  if (!(arr.flags() & py::array::c_style))
    throw py::value_error(what + ": must be C-contiguous (row-major, no strides); call " +
                          "numpy.ascontiguousarray or torch's .contiguous() first");
  Shape shape(arr.shape(), arr.shape() + arr.ndim());
  PyObject* owner = arr.ptr();
  Py_INCREF(owner);
  std::shared_ptr<void> data(const_cast<void*>(arr.data()), [owner](void*) {
    py::gil_scoped_acquire gil;
    Py_DECREF(owner);
  });
  return Tensor::from_storage(shape, dtype, Device::CPU, std::move(data));
}

Tensor wrap_optional(const py::handle& obj, const std::string& what) {
  return obj.is_none() ? Tensor() : wrap_array(obj, what);
}

py::object to_array(const Tensor& t) {
  if (!t.defined()) return py::none();
  RECUR_CHECK(t.device() == Device::CPU, "to_array: tensor is on a device");
  const bool as_is = t.dtype() == DType::F32 || t.dtype() == DType::F64 ||
                     t.dtype() == DType::I32 || t.dtype() == DType::I64;
  const Tensor host = as_is ? t : t.to(DType::F32);
  auto* keep = new Tensor(host);
  py::capsule owner(keep, [](void* p) { delete static_cast<Tensor*>(p); });
  const size_t item = dtype_size(host.dtype());
  std::vector<py::ssize_t> shape(host.shape().begin(), host.shape().end());
  std::vector<py::ssize_t> strides(shape.size());
  py::ssize_t stride = static_cast<py::ssize_t>(item);
  for (size_t i = shape.size(); i-- > 0;) {
    strides[i] = stride;
    stride *= shape[i];
  }
  py::dtype dt = py::dtype::of<double>();
  if (host.dtype() == DType::F32) dt = py::dtype::of<float>();
  if (host.dtype() == DType::I32) dt = py::dtype::of<int32_t>();
  if (host.dtype() == DType::I64) dt = py::dtype::of<int64_t>();
  return py::array(dt, shape, strides, keep->raw(), owner);
}

DType parse_dtype(const std::string& name) {
  if (name == "float32") return DType::F32;
  if (name == "float64") return DType::F64;
  throw py::type_error("dtype must be 'float32' or 'float64', got '" + name + "'");
}

}  // namespace recur::python
