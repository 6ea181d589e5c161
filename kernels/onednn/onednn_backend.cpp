// The oneDNN comparison backend ("onednn"): recur's Backend interface over oneDNN's f32 RNN
// primitives (lstm_forward/backward, lbr_gru_forward/backward), the CPU counterpart of the
// `cudnn` backend, so that every `cpu` row of recur_bench carries its ratio to oneDNN.
//
// - One primitive per layer (oneDNN's stacked primitive needs every layer's input as wide as
//   its hidden state, which a first layer with I != H, e.g. I = 1, is not); each layer runs
//   both directions (bidirectional_concat). Primitives are cached per shape; the weights are
//   gathered from the PyTorch-layout parameters and reordered into oneDNN's layout on every
//   call, so parameters changed in place are always seen.
// - LSTM projections (proj_size) run on oneDNN's LSTMP (weights_projection, h = W_hr m).
// - What it does not run, unsupported() says and forward/backward throw: cells other than
//   LSTM and GRU, float64 (oneDNN's RNNs compute in f32, bf16 or int8), and dropout between
//   layers in training (oneDNN's RNNs have none); variable-length batches (no sequence lengths
//   in oneDNN's RNNs) unsupported_lengths() says.
// - Not thread-safe: one backend object serves one thread at a time.
#include <oneapi/dnnl/dnnl.hpp>

#include <cstring>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "kernels/backends.h"
#include "kernels/onednn/onednn_weights.h"
#include "recur/error.h"

namespace recur {
namespace {

using dnnl::memory;
using Tag = memory::format_tag;
using Dims = memory::dims;

memory::desc md(const Dims& dims, Tag tag) {
  return memory::desc(dims, memory::data_type::f32, tag);
}

// One layer's shape: T steps, N batch, I input, H hidden, D directions, P the width of h
// (the LSTM's proj_size with a projection, else H).
struct LayerShape {
  Cell cell;
  int64_t T, N, I, H, D, P;
  // [N, T, .] (ntc) instead of [T, N, .] for the layer's input and output. With batch_first
  // every layer uses it, the layers between too: oneDNN 2.6's backward got the first layer's
  // weight gradient wrong with an ntc input and a tnc output.
  bool batch_first, training;

  std::string key() const {
    return fmt::format("{} T{} N{} I{} H{} D{} P{} {}{}", cell_name(cell), T, N, I, H, D, P,
                       batch_first, training);
  }
  bool projection() const { return P != H; }
  int64_t gates() const { return onednn::dnnl_gates(cell); }
  memory::desc src() const { return md({T, N, I}, batch_first ? Tag::ntc : Tag::tnc); }
  memory::desc dst() const { return md({T, N, D * P}, batch_first ? Tag::ntc : Tag::tnc); }
  memory::desc iter() const { return md({1, D, N, P}, Tag::ldnc); }    // h
  memory::desc iter_c() const { return md({1, D, N, H}, Tag::ldnc); }  // c
  memory::desc w_layer(Tag tag) const { return md({1, D, I, gates(), H}, tag); }
  memory::desc w_iter(Tag tag) const { return md({1, D, P, gates(), H}, tag); }
  // W_hr: oneDNN's (i = H, o = P); ldoi is PyTorch's [P, H] per direction.
  memory::desc w_projection(Tag tag) const { return md({1, D, H, P}, tag); }
  memory::desc bias() const { return md({1, D, onednn::dnnl_biases(cell), H}, Tag::ldgo); }
  dnnl::rnn_direction direction() const {
    return D == 2 ? dnnl::rnn_direction::bidirectional_concat
                  : dnnl::rnn_direction::unidirectional_left2right;
  }
};

struct LayerPlan {
  dnnl::rnn_primitive_desc_base fwd_pd, bwd_pd;
  dnnl::primitive fwd, bwd;
};

LayerPlan make_plan(const LayerShape& s, const dnnl::engine& eng) {
  using dnnl::prop_kind;
  const prop_kind prop = s.training ? prop_kind::forward_training : prop_kind::forward_inference;
  const memory::desc src = s.src(), dst = s.dst(), it = s.iter(), b = s.bias();
  const memory::desc wl = s.w_layer(Tag::any), wi = s.w_iter(Tag::any);
  LayerPlan p;
  if (s.cell == Cell::LSTM && s.projection()) {
    // LSTMP: no peephole (a zero descriptor). The forward's projection weights are plain ldio:
    // with `any`, oneDNN 2.6 picks a layout for T = 1 inference that its own reorder into it
    // crashes on (checked with a standalone program, H 9 P 4 and others).
    const memory::desc itc = s.iter_c(), wp = s.w_projection(Tag::any), none;
    const memory::desc wp_fwd = s.w_projection(Tag::ldio);
    const dnnl::lstm_forward::primitive_desc fpd(
        dnnl::lstm_forward::desc(prop, s.direction(), src, it, itc, wl, wi, none, wp_fwd, b, dst,
                                 it, itc),
        eng);
    p.fwd_pd = fpd;
    p.fwd = dnnl::lstm_forward(fpd);
    if (s.training) {
      const dnnl::lstm_backward::primitive_desc bpd(
          dnnl::lstm_backward::desc(prop_kind::backward, s.direction(), src, it, itc, wl, wi, none,
                                    wp, b, dst, it, itc, src, it, itc, wl, wi, none, wp, b, dst, it,
                                    itc),
          eng, fpd);
      p.bwd_pd = bpd;
      p.bwd = dnnl::lstm_backward(bpd);
    }
  } else if (s.cell == Cell::LSTM) {
    const dnnl::lstm_forward::primitive_desc fpd(
        dnnl::lstm_forward::desc(prop, s.direction(), src, it, it, wl, wi, b, dst, it, it), eng);
    p.fwd_pd = fpd;
    p.fwd = dnnl::lstm_forward(fpd);
    if (s.training) {
      const dnnl::lstm_backward::primitive_desc bpd(
          dnnl::lstm_backward::desc(prop_kind::backward, s.direction(), src, it, it, wl, wi, b, dst,
                                    it, it, src, it, it, wl, wi, b, dst, it, it),
          eng, fpd);
      p.bwd_pd = bpd;
      p.bwd = dnnl::lstm_backward(bpd);
    }
  } else {
    const dnnl::lbr_gru_forward::primitive_desc fpd(
        dnnl::lbr_gru_forward::desc(prop, s.direction(), src, it, wl, wi, b, dst, it), eng);
    p.fwd_pd = fpd;
    p.fwd = dnnl::lbr_gru_forward(fpd);
    if (s.training) {
      const dnnl::lbr_gru_backward::primitive_desc bpd(
          dnnl::lbr_gru_backward::desc(prop_kind::backward, s.direction(), src, it, wl, wi, b, dst,
                                       it, src, it, wl, wi, b, dst, it),
          eng, fpd);
      p.bwd_pd = bpd;
      p.bwd = dnnl::lbr_gru_backward(bpd);
    }
  }
  return p;
}

// `t`, or zeros of `shape` where it is undefined; undefined where `present` is false (c
// states of cells without one).
Tensor or_zeros(const Tensor& t, const Shape& shape, bool present = true) {
  if (!present) return Tensor();
  return t.defined() ? t : Tensor::zeros(shape);
}

float* f32(Tensor& t) {
  return t.data<float>();
}
float* f32(const Tensor& t) {
  return const_cast<float*>(t.data<float>());  // oneDNN takes non-const handles for inputs
}

// What a training forward keeps: each layer's output and oneDNN's workspace.
class OnednnSaved final : public SavedState {
 public:
  RnnSpec spec;
  SeqDims dims;
  std::vector<Tensor> layer_out;
  std::vector<memory> workspace;
};

class OnednnBackend final : public Backend {
 public:
  OnednnBackend() : eng_(dnnl::engine::kind::cpu, 0), stream_(eng_) {}
  std::string name() const override { return "onednn"; }

  std::string unsupported(const RnnSpec& spec, DType dtype, bool training) const override {
    if (spec.cell != Cell::LSTM && spec.cell != Cell::GRU)
      return fmt::format(
          "onednn: {} is not wired in (recur's onednn backend runs LSTM and GRU only)",
          cell_name(spec.cell));
    if (dtype != DType::F32)
      return "onednn: float32 only (oneDNN's RNN primitives compute in f32, bf16 or int8)";
    if (training && spec.dropout > 0 && spec.num_layers > 1)
      return "onednn: no dropout between layers (oneDNN's RNN primitives have none)";
    return "";
  }

  std::string unsupported_lengths() const override {
    return "onednn: no variable-length batches (oneDNN's RNN primitives take no sequence lengths)";
  }

  RnnOutputs forward(const RnnSpec& spec, const RnnParams& params, const RnnInputs& in,
                     const ForwardOptions& options) override {
    const SeqDims dims = check_forward_args(spec, params, in);
    check_supported(spec, params.dtype(), options.training);
    check_no_lengths(in);
    const int64_t L = spec.num_layers, D = spec.directions(), P = spec.state_size();
    const Shape st = state_shape(spec, dims), cst = cell_state_shape(spec, dims);
    RnnOutputs out;
    out.output = Tensor::empty(output_shape(spec, dims));
    out.h_n = Tensor::empty(st);
    if (spec.has_cell_state()) out.c_n = Tensor::empty(cst);
    const Tensor h0 = or_zeros(in.h0, st);
    const Tensor c0 = or_zeros(in.c0, cst, spec.has_cell_state());
    auto saved = std::make_shared<OnednnSaved>();
    saved->spec = spec;
    saved->dims = dims;
    Tensor layer_in = in.input;
    for (int64_t l = 0; l < L; ++l) {
      const LayerShape s = shape(spec, dims, l, options.training);
      const LayerPlan& plan = plan_for(s);
      Tensor layer_out = l + 1 == L ? out.output : Tensor::empty({dims.T, dims.B, D * P});
      const onednn::LayerWeights w = onednn::gather_layer(spec, params, l);
      std::unordered_map<int, memory> args = weights_args(s, plan.fwd_pd, w);
      add_data_args(s, l, {layer_in, h0, c0, layer_out, out.h_n, out.c_n}, &args);
      if (options.training) {
        saved->workspace.emplace_back(plan.fwd_pd.workspace_desc(), eng_);
        args[DNNL_ARG_WORKSPACE] = saved->workspace.back();
        saved->layer_out.push_back(layer_out);
      }
      plan.fwd.execute(stream_, args);
      stream_.wait();
      layer_in = layer_out;
    }
    if (options.training) out.saved = saved;
    return out;
  }

  RnnGrads backward(const RnnSpec& spec, const RnnParams& params, const RnnInputs& in,
                    const RnnOutputs& fwd, const RnnGradOutputs& grads) override {
    check_backward_args(spec, params, in, fwd, grads);
    const SeqDims dims = check_forward_args(spec, params, in);
    check_supported(spec, params.dtype(), true);
    check_no_lengths(in);
    const auto* saved = dynamic_cast<const OnednnSaved*>(fwd.saved.get());
    RECUR_CHECK(saved != nullptr,
                "onednn backward: `fwd` must come from a training forward of the onednn backend");
    RECUR_CHECK(saved->spec == spec && saved->dims.T == dims.T && saved->dims.B == dims.B,
                "onednn backward: `fwd` was computed for another spec or input shape");
    const int64_t L = spec.num_layers, D = spec.directions();
    const Shape st = state_shape(spec, dims), cst = cell_state_shape(spec, dims);
    const Tensor h0 = or_zeros(in.h0, st);
    const Tensor c0 = or_zeros(in.c0, cst, spec.has_cell_state());
    const Tensor dy = or_zeros(grads.output, output_shape(spec, dims));
    const Tensor dhn = or_zeros(grads.h_n, st);
    const Tensor dcn = or_zeros(grads.c_n, cst, spec.has_cell_state());
    RnnGrads out;
    out.input = Tensor::empty(in.input.shape());
    out.h0 = Tensor::empty(st);
    if (spec.has_cell_state()) out.c0 = Tensor::empty(cst);
    out.params = RnnParams(spec, DType::F32);
    Tensor diff_above = dy;  // the gradient of the current layer's output
    for (int64_t l = L - 1; l >= 0; --l) {
      const LayerShape s = shape(spec, dims, l, true);
      const LayerPlan& plan = plan_for(s);
      const Tensor layer_in = l == 0 ? in.input : saved->layer_out[static_cast<size_t>(l - 1)];
      const Tensor& layer_out = saved->layer_out[static_cast<size_t>(l)];
      Tensor diff_in = l == 0 ? out.input : Tensor::empty({dims.T, dims.B, s.I});
      const onednn::LayerWeights w = onednn::gather_layer(spec, params, l);
      std::unordered_map<int, memory> args = weights_args(s, plan.bwd_pd, w);
      add_data_args(s, l, {layer_in, h0, c0, layer_out, fwd.h_n, fwd.c_n}, &args);
      const int64_t h_at = l * D * dims.B * s.P, c_at = l * D * dims.B * s.H;
      args[DNNL_ARG_WORKSPACE] = saved->workspace[static_cast<size_t>(l)];
      args[DNNL_ARG_DIFF_SRC_LAYER] = memory(s.src(), eng_, f32(diff_in));
      args[DNNL_ARG_DIFF_SRC_ITER] = memory(s.iter(), eng_, f32(out.h0) + h_at);
      args[DNNL_ARG_DIFF_DST_LAYER] = memory(s.dst(), eng_, f32(diff_above));
      args[DNNL_ARG_DIFF_DST_ITER] = memory(s.iter(), eng_, f32(dhn) + h_at);
      if (spec.has_cell_state()) {
        args[DNNL_ARG_DIFF_SRC_ITER_C] = memory(s.iter_c(), eng_, f32(out.c0) + c_at);
        args[DNNL_ARG_DIFF_DST_ITER_C] = memory(s.iter_c(), eng_, f32(dcn) + c_at);
      }
      // oneDNN adds the weight gradients into these: they start at zero.
      const memory dwl = zeroed(plan.bwd_pd.diff_weights_layer_desc());
      const memory dwi = zeroed(plan.bwd_pd.diff_weights_iter_desc());
      const memory db = zeroed(s.bias());
      args[DNNL_ARG_DIFF_WEIGHTS_LAYER] = dwl;
      args[DNNL_ARG_DIFF_WEIGHTS_ITER] = dwi;
      args[DNNL_ARG_DIFF_BIAS] = db;
      memory dwp;
      if (s.projection()) {
        dwp = zeroed(plan.bwd_pd.diff_weights_projection_desc());
        args[DNNL_ARG_DIFF_WEIGHTS_PROJECTION] = dwp;
      }
      plan.bwd.execute(stream_, args);
      stream_.wait();
      onednn::LayerWeights diff;
      diff.w_layer = to_plain(dwl, s.w_layer(Tag::ldgoi));
      diff.w_iter = to_plain(dwi, s.w_iter(Tag::ldgoi));
      if (s.projection()) diff.w_projection = to_plain(dwp, s.w_projection(Tag::ldoi));
      const float* bp = static_cast<const float*>(db.get_data_handle());
      diff.bias.assign(bp, bp + s.bias().get_size() / sizeof(float));
      onednn::scatter_layer_grads(spec, diff, l, &out.params);
      diff_above = diff_in;
    }
    return out;
  }

 private:
  void check_supported(const RnnSpec& spec, DType dtype, bool training) const {
    const std::string why = unsupported(spec, dtype, training);
    RECUR_CHECK(why.empty(), "{}", why);
  }
  void check_no_lengths(const RnnInputs& in) const {
    RECUR_CHECK(!in.lengths.defined(), "{}", unsupported_lengths());
  }

  static LayerShape shape(const RnnSpec& spec, SeqDims dims, int64_t layer, bool training) {
    return LayerShape{spec.cell,
                      dims.T,
                      dims.B,
                      spec.layer_input_size(layer),
                      spec.hidden_size,
                      spec.directions(),
                      spec.state_size(),
                      spec.batch_first,
                      training};
  }

  const LayerPlan& plan_for(const LayerShape& s) {
    const std::string key = s.key();
    auto it = plans_.find(key);
    if (it == plans_.end()) it = plans_.emplace(key, make_plan(s, eng_)).first;
    return it->second;
  }

  memory zeroed(const memory::desc& d) {
    memory m(d, eng_);
    std::memset(m.get_data_handle(), 0, d.get_size());
    return m;
  }

  // A layer's data: its input and output sequences and layer `layer`'s states of the
  // [L*D, B, P] (h) and [L*D, B, H] (c) tensors; c0 and c_n only for cells with a cell state.
  struct LayerData {
    const Tensor &src, &h0, &c0, &dst, &h_n, &c_n;
  };
  void add_data_args(const LayerShape& s, int64_t layer, const LayerData& d,
                     std::unordered_map<int, memory>* args) {
    const int64_t h_at = layer * s.D * s.N * s.P, c_at = layer * s.D * s.N * s.H;
    (*args)[DNNL_ARG_SRC_LAYER] = memory(s.src(), eng_, f32(d.src));
    (*args)[DNNL_ARG_SRC_ITER] = memory(s.iter(), eng_, f32(d.h0) + h_at);
    (*args)[DNNL_ARG_DST_LAYER] = memory(s.dst(), eng_, f32(d.dst));
    (*args)[DNNL_ARG_DST_ITER] = memory(s.iter(), eng_, f32(d.h_n) + h_at);
    if (s.cell == Cell::LSTM) {
      (*args)[DNNL_ARG_SRC_ITER_C] = memory(s.iter_c(), eng_, f32(d.c0) + c_at);
      (*args)[DNNL_ARG_DST_ITER_C] = memory(s.iter_c(), eng_, f32(d.c_n) + c_at);
    }
  }

  // The weights and bias of one layer in the layout `pd` wants (reordered from ldgoi).
  std::unordered_map<int, memory> weights_args(const LayerShape& s,
                                               const dnnl::rnn_primitive_desc_base& pd,
                                               const onednn::LayerWeights& w) {
    const auto in_layout = [&](const memory::desc& plain, const memory::desc& want,
                               const std::vector<float>& data) {
      memory user(plain, eng_, const_cast<float*>(data.data()));
      memory m(want, eng_);
      dnnl::reorder(user, m).execute(stream_, user, m);
      return m;
    };
    std::unordered_map<int, memory> args;
    args[DNNL_ARG_WEIGHTS_LAYER] =
        in_layout(s.w_layer(Tag::ldgoi), pd.weights_layer_desc(), w.w_layer);
    args[DNNL_ARG_WEIGHTS_ITER] = in_layout(s.w_iter(Tag::ldgoi), pd.weights_iter_desc(), w.w_iter);
    memory bias(s.bias(), eng_);
    std::memcpy(bias.get_data_handle(), w.bias.data(), w.bias.size() * sizeof(float));
    args[DNNL_ARG_BIAS] = bias;
    if (s.projection())
      args[DNNL_ARG_WEIGHTS_PROJECTION] =
          in_layout(s.w_projection(Tag::ldoi), pd.weights_projection_desc(), w.w_projection);
    return args;
  }

  std::vector<float> to_plain(const memory& m, const memory::desc& plain) {
    std::vector<float> out(plain.get_size() / sizeof(float));
    memory user(plain, eng_, out.data());
    dnnl::reorder(m, user).execute(stream_, const_cast<memory&>(m), user);
    stream_.wait();
    return out;
  }

  dnnl::engine eng_;
  dnnl::stream stream_;
  std::map<std::string, LayerPlan> plans_;
};

}  // namespace

std::unique_ptr<Backend> make_onednn_backend() {
  return std::make_unique<OnednnBackend>();
}

}  // namespace recur
