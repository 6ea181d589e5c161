// Argument checks shared by every backend, so that all of them reject the same bad calls with
// the same messages.
#include "recur/backend.h"

namespace recur {

namespace {

void check_dtype(const Tensor& t, DType dtype, const char* what) {
  RECUR_CHECK(t.dtype() == dtype, "{}: expected dtype {} (the parameters' dtype), got {}", what,
              dtype_name(dtype), dtype_name(t.dtype()));
}

void check_optional(const Tensor& t, const Shape& shape, DType dtype, const char* what) {
  if (!t.defined()) return;
  check_shape(t, shape, what);
  check_dtype(t, dtype, what);
}

// lengths: host I64 or I32 [B], every value in [1, T].
void check_lengths(const Tensor& lengths, int64_t T, int64_t B) {
  if (!lengths.defined()) return;
  RECUR_CHECK(lengths.dtype() == DType::I64 || lengths.dtype() == DType::I32,
              "lengths: expected dtype I64 or I32, got {}", dtype_name(lengths.dtype()));
  RECUR_CHECK(lengths.device() == Device::CPU, "lengths: must be a host tensor");
  RECUR_CHECK(lengths.shape() == Shape{B},
              "lengths: expected shape [{}] (one per sequence, B), got {}", B,
              shape_str(lengths.shape()));
  for (int64_t b = 0; b < B; ++b) {
    const int64_t len = lengths.dtype() == DType::I64
                            ? lengths.data<int64_t>()[b]
                            : static_cast<int64_t>(lengths.data<int32_t>()[b]);
    RECUR_CHECK(len >= 1 && len <= T,
                "lengths: element [{}] is {}, outside [1, {}] (1 <= length <= T)", b, len, T);
  }
}

}  // namespace

std::vector<int64_t> sequence_lengths(const RnnInputs& in) {
  const Tensor& t = in.lengths;
  if (!t.defined()) return {};
  std::vector<int64_t> out(static_cast<size_t>(t.numel()));
  for (int64_t b = 0; b < t.numel(); ++b)
    out[b] = t.dtype() == DType::I64 ? t.data<int64_t>()[b] : t.data<int32_t>()[b];
  return out;
}

Shape output_shape(const RnnSpec& spec, SeqDims dims) {
  const int64_t DP = spec.directions() * spec.state_size();
  return spec.batch_first ? Shape{dims.B, dims.T, DP} : Shape{dims.T, dims.B, DP};
}

Shape state_shape(const RnnSpec& spec, SeqDims dims) {
  return {spec.num_layers * spec.directions(), dims.B, spec.state_size()};
}

Shape cell_state_shape(const RnnSpec& spec, SeqDims dims) {
  return {spec.num_layers * spec.directions(), dims.B, spec.hidden_size};
}

SeqDims check_forward_args(const RnnSpec& spec, const RnnParams& params, const RnnInputs& in) {
  spec.validate();
  // batch_first and dropout describe how the network is run, not its parameters.
  const RnnSpec& p = params.spec();
  RECUR_CHECK(p.cell == spec.cell && p.input_size == spec.input_size &&
                  p.hidden_size == spec.hidden_size && p.num_layers == spec.num_layers &&
                  p.bidirectional == spec.bidirectional && p.bias == spec.bias &&
                  p.proj_size == spec.proj_size,
              "parameters were made for a different network ({} I={} H={} L={} proj_size={})",
              cell_name(p.cell), p.input_size, p.hidden_size, p.num_layers, p.proj_size);
  const DType dtype = params.dtype();
  RECUR_CHECK(dtype == DType::F32 || dtype == DType::F64, "parameters must be F32 or F64");
  RECUR_CHECK(in.input.defined(), "input: missing");
  RECUR_CHECK(in.input.ndim() == 3, "input: expected 3 dimensions ({}), got shape {}",
              spec.batch_first ? "[B, T, I]" : "[T, B, I]", shape_str(in.input.shape()));
  check_dtype(in.input, dtype, "input");
  const int64_t T = spec.batch_first ? in.input.dim(1) : in.input.dim(0);
  const int64_t B = spec.batch_first ? in.input.dim(0) : in.input.dim(1);
  RECUR_CHECK(in.input.dim(2) == spec.input_size,
              "input: expected {} features (input_size), got {}", spec.input_size, in.input.dim(2));
  RECUR_CHECK(T > 0 && B > 0, "input: sequence length and batch must be positive, got shape {}",
              shape_str(in.input.shape()));
  const Shape state = state_shape(spec, {T, B});
  check_optional(in.h0, state, dtype, "h0");
  if (spec.has_cell_state()) {
    check_optional(in.c0, cell_state_shape(spec, {T, B}), dtype, "c0");
  } else {
    RECUR_CHECK(!in.c0.defined(), "c0: given, but a {} network has no cell state",
                cell_name(spec.cell));
  }
  check_lengths(in.lengths, T, B);
  return {T, B};
}

void check_backward_args(const RnnSpec& spec, const RnnParams& params, const RnnInputs& in,
                         const RnnOutputs& fwd, const RnnGradOutputs& grads) {
  const SeqDims d = check_forward_args(spec, params, in);
  RECUR_CHECK(fwd.saved != nullptr, "backward needs the result of a training forward");
  const DType dtype = params.dtype();
  const Shape state = state_shape(spec, d);
  check_optional(grads.output, output_shape(spec, d), dtype, "grad_output");
  check_optional(grads.h_n, state, dtype, "grad_h_n");
  if (spec.has_cell_state()) {
    check_optional(grads.c_n, cell_state_shape(spec, d), dtype, "grad_c_n");
  } else {
    RECUR_CHECK(!grads.c_n.defined(), "grad_c_n: given, but a {} network has no cell state",
                cell_name(spec.cell));
  }
}

}  // namespace recur
