// cpu-ref's Backend: stacks layers and directions (ref_layer.h), applies dropout between
// layers, and converts the caller's tensors to and from plain double arrays. Templated on the
// tensors' scalar type S (float or double); everything in between is computed in double and
// rounded to S only when stored into a result.
#include "cpu_reference/cpu_ref.h"

#include <utility>
#include <vector>

#include "cpu_reference/ref_layer.h"
#include "kernels/backends.h"

namespace recur {

namespace {

using ref::DirParams;
using ref::DirTape;
using Vec = std::vector<double>;

// What a training forward keeps: every layer's input and every direction's tape.
class RefSaved final : public SavedState {
 public:
  RnnSpec spec;
  int64_t T = 0, B = 0;
  std::vector<int64_t> len;  // [B], empty: all T
  uint64_t dropout_seed = 0;
  std::vector<Vec> layer_input;  // [L] of [T, B, in_l], layers above 0 after dropout
  std::vector<DirTape> tapes;    // [L*D], index l*D + d
};

template <class S>
Vec load(const Tensor& t) {
  const S* p = t.data<S>();
  return Vec(p, p + t.numel());
}

template <class S>
Tensor store(const Vec& v, const Shape& shape) {
  Tensor t = Tensor::empty(shape, dtype_of<S>());
  RECUR_ASSERT(static_cast<int64_t>(v.size()) == t.numel());
  S* p = t.data<S>();
  for (int64_t i = 0; i < t.numel(); ++i) p[i] = static_cast<S>(v[i]);
  return t;
}

// [n0, n1, F] -> [n1, n0, F]: batch-first to sequence-major and back.
Vec swap_first_dims(const Vec& v, int64_t n0, int64_t n1, int64_t F) {
  Vec out(v.size());
  for (int64_t i0 = 0; i0 < n0; ++i0)
    for (int64_t i1 = 0; i1 < n1; ++i1)
      for (int64_t k = 0; k < F; ++k) out[(i1 * n0 + i0) * F + k] = v[(i0 * n1 + i1) * F + k];
  return out;
}

// A sequence tensor in the spec's layout as a sequence-major array [T, B, F].
template <class S>
Vec load_seq(const Tensor& t, const RnnSpec& spec, int64_t T, int64_t B) {
  const Vec v = load<S>(t);
  return spec.batch_first ? swap_first_dims(v, B, T, t.dim(2)) : v;
}

// A sequence-major array [T, B, F] as a tensor in the spec's layout.
template <class S>
Tensor store_seq(const Vec& v, const RnnSpec& spec, int64_t T, int64_t B, int64_t F) {
  if (!spec.batch_first) return store<S>(v, {T, B, F});
  return store<S>(swap_first_dims(v, T, B, F), {B, T, F});
}

// A state tensor [L*D, B, H] (zeros when undefined) as L*D arrays [B, H].
template <class S>
std::vector<Vec> load_states(const Tensor& t, int64_t LD, int64_t BH) {
  std::vector<Vec> out(LD, Vec(BH, 0.0));
  if (!t.defined()) return out;
  const Vec v = load<S>(t);
  for (int64_t i = 0; i < LD; ++i)
    for (int64_t k = 0; k < BH; ++k) out[i][k] = v[i * BH + k];
  return out;
}

template <class S>
Tensor store_states(const std::vector<Vec>& s, int64_t B, int64_t H) {
  Vec v;
  for (const Vec& part : s) v.insert(v.end(), part.begin(), part.end());
  return store<S>(v, {static_cast<int64_t>(s.size()), B, H});
}

// The parameters as L*D DirParams (index l*D + d); zero biases when the network has none.
template <class S>
std::vector<DirParams> load_params(const RnnSpec& spec, const RnnParams& params) {
  const int64_t GH = spec.gates() * spec.hidden_size;
  std::vector<DirParams> out;
  for (int64_t l = 0; l < spec.num_layers; ++l)
    for (int64_t d = 0; d < spec.directions(); ++d) {
      DirParams p;
      p.in = spec.layer_input_size(l);
      p.w_ih = load<S>(params.get(ParamKind::W_ih, l, d));
      p.w_hh = load<S>(params.get(ParamKind::W_hh, l, d));
      p.b_ih = spec.bias ? load<S>(params.get(ParamKind::b_ih, l, d)) : Vec(GH, 0.0);
      p.b_hh = spec.bias ? load<S>(params.get(ParamKind::b_hh, l, d)) : Vec(GH, 0.0);
      if (spec.proj_size > 0) p.w_hr = load<S>(params.get(ParamKind::W_hr, l, d));
      out.push_back(std::move(p));
    }
  return out;
}

ref::Sizes sizes(const RnnSpec& spec, int64_t T, int64_t B, std::vector<int64_t> len) {
  return {spec.cell,
          T,
          B,
          spec.hidden_size,
          spec.directions(),
          spec.gates(),
          spec.state_size(),
          spec.proj_size > 0,
          std::move(len)};
}

template <class S>
RnnOutputs forward_impl(const RnnSpec& spec, const RnnParams& params, const RnnInputs& in,
                        const ForwardOptions& options, int64_t T, int64_t B) {
  const int64_t H = spec.hidden_size, L = spec.num_layers, D = spec.directions();
  const int64_t P = spec.state_size();
  const ref::Sizes s = sizes(spec, T, B, sequence_lengths(in));
  const std::vector<DirParams> p = load_params<S>(spec, params);
  std::vector<Vec> h = load_states<S>(in.h0, L * D, B * P);  // becomes h_n
  std::vector<Vec> c = load_states<S>(in.c0, L * D, B * H);  // becomes c_n (LSTM)
  const bool dropout = options.training && spec.dropout > 0.0;

  std::shared_ptr<RefSaved> saved;
  if (options.training) {
    saved = std::make_shared<RefSaved>();
    saved->spec = spec;
    saved->T = T;
    saved->B = B;
    saved->len = s.len;
    saved->dropout_seed = options.dropout_seed;
    saved->layer_input.resize(L);
    saved->tapes.resize(L * D);
  }

  Vec x = load_seq<S>(in.input, spec, T, B);  // the current layer's input [T, B, in]
  for (int64_t l = 0; l < L; ++l) {
    Vec y(T * B * D * P);  // the layer's output [T, B, D*P]
    for (int64_t d = 0; d < D; ++d)
      ref::direction_forward(s, d, p[l * D + d], x, h[l * D + d], c[l * D + d], y,
                             saved ? &saved->tapes[l * D + d] : nullptr);
    if (saved) saved->layer_input[l] = std::move(x);
    if (dropout && l + 1 < L) ref::apply_dropout(y, l, spec.dropout, options.dropout_seed);
    x = std::move(y);
  }

  RnnOutputs out;
  out.output = store_seq<S>(x, spec, T, B, D * P);
  out.h_n = store_states<S>(h, B, P);
  if (spec.has_cell_state()) out.c_n = store_states<S>(c, B, H);
  out.saved = saved;
  return out;
}

template <class S>
RnnGrads backward_impl(const RnnSpec& spec, const RnnParams& params, const RefSaved& saved,
                       const RnnGradOutputs& grads) {
  const int64_t T = saved.T, B = saved.B;
  const int64_t H = spec.hidden_size, L = spec.num_layers, D = spec.directions();
  const int64_t P = spec.state_size();
  const ref::Sizes s = sizes(spec, T, B, saved.len);
  const std::vector<DirParams> p = load_params<S>(spec, params);
  std::vector<Vec> dh = load_states<S>(grads.h_n, L * D, B * P);  // becomes dL/dh0
  std::vector<Vec> dc = load_states<S>(grads.c_n, L * D, B * H);  // becomes dL/dc0 (LSTM)

  // Parameter gradients start at zero, shaped like the parameters.
  std::vector<DirParams> g = p;
  for (DirParams& gp : g)
    for (Vec* v : {&gp.w_ih, &gp.w_hh, &gp.b_ih, &gp.b_hh, &gp.w_hr}) v->assign(v->size(), 0.0);

  // dL/dy of the current layer's output [T, B, D*P], from the top layer down.
  Vec dy = grads.output.defined() ? load_seq<S>(grads.output, spec, T, B) : Vec(T * B * D * P, 0.0);
  Vec dx;  // dL/dx of the current layer's input [T, B, in]
  for (int64_t l = L - 1; l >= 0; --l) {
    dx.assign(T * B * spec.layer_input_size(l), 0.0);
    for (int64_t d = 0; d < D; ++d)
      ref::direction_backward(s, d, p[l * D + d], saved.layer_input[l], saved.tapes[l * D + d], dy,
                              dh[l * D + d], dc[l * D + d], dx, g[l * D + d]);
    if (l > 0) {
      // This layer's input was layer l-1's output after dropout, a linear map that is its own
      // adjoint: the gradient goes back through the same mask and scale.
      if (spec.dropout > 0.0) ref::apply_dropout(dx, l - 1, spec.dropout, saved.dropout_seed);
      dy = std::move(dx);
    }
  }

  RnnGrads out;
  out.input = store_seq<S>(dx, spec, T, B, spec.input_size);
  out.h0 = store_states<S>(dh, B, P);
  if (spec.has_cell_state()) out.c0 = store_states<S>(dc, B, H);
  out.params = RnnParams(params.spec(), params.dtype());
  for (int64_t l = 0; l < L; ++l)
    for (int64_t d = 0; d < D; ++d) {
      const DirParams& gp = g[l * D + d];
      if (spec.proj_size > 0)
        out.params.get(ParamKind::W_hr, l, d) =
            store<S>(gp.w_hr, param_shape(spec, ParamKind::W_hr, l));
      out.params.get(ParamKind::W_ih, l, d) =
          store<S>(gp.w_ih, param_shape(spec, ParamKind::W_ih, l));
      out.params.get(ParamKind::W_hh, l, d) =
          store<S>(gp.w_hh, param_shape(spec, ParamKind::W_hh, l));
      if (!spec.bias) continue;
      out.params.get(ParamKind::b_ih, l, d) =
          store<S>(gp.b_ih, param_shape(spec, ParamKind::b_ih, l));
      out.params.get(ParamKind::b_hh, l, d) =
          store<S>(gp.b_hh, param_shape(spec, ParamKind::b_hh, l));
    }
  return out;
}

}  // namespace

RnnOutputs CpuRefBackend::forward(const RnnSpec& spec, const RnnParams& params, const RnnInputs& in,
                                  const ForwardOptions& options) {
  const SeqDims dims = check_forward_args(spec, params, in);
  if (params.dtype() == DType::F32)
    return forward_impl<float>(spec, params, in, options, dims.T, dims.B);
  return forward_impl<double>(spec, params, in, options, dims.T, dims.B);
}

RnnGrads CpuRefBackend::backward(const RnnSpec& spec, const RnnParams& params, const RnnInputs& in,
                                 const RnnOutputs& fwd, const RnnGradOutputs& grads) {
  check_backward_args(spec, params, in, fwd, grads);
  const auto* saved = dynamic_cast<const RefSaved*>(fwd.saved.get());
  RECUR_CHECK(saved != nullptr, "backward: the saved state was not made by a cpu-ref forward");
  const SeqDims dims = check_forward_args(spec, params, in);
  RECUR_CHECK(saved->spec == spec && saved->T == dims.T && saved->B == dims.B,
              "backward: the saved state is from a forward with another spec or input shape");
  RECUR_CHECK(saved->len == sequence_lengths(in),
              "backward: the lengths differ from those of the training forward");
  if (params.dtype() == DType::F32) return backward_impl<float>(spec, params, *saved, grads);
  return backward_impl<double>(spec, params, *saved, grads);
}

std::unique_ptr<Backend> make_cpu_ref_backend() {
  return std::make_unique<CpuRefBackend>();
}

}  // namespace recur
