// Where each PyTorch-layout parameter block lives in cuDNN's RNN weight space, as pure host
// functions (no CUDA, no cuDNN), so that the map is tested in every CI run.
//
// cuDNN numbers the weight matrices and bias vectors of a network by (pseudo-layer, linLayerID).
// From the documentation of cudnnGetRNNWeightParams:
//   pseudo-layer = layer * D + dir (bidirectional: 0 = layer 0 forward, 1 = layer 0 reverse, ...).
//   RNN_RELU / RNN_TANH: linLayerID 0 acts on the layer input, 1 on the previous hidden state.
//   LSTM: 0-3 act on the layer input, 4-7 on the hidden state; 0/4 input gate, 1/5 forget gate,
//         2/6 new memory (cell candidate) gate, 3/7 output gate.
//   GRU:  0-2 act on the layer input, 3-5 on the hidden state; 0/3 reset gate, 1/4 update gate,
//         2/5 new memory gate.
// Each matrix is reported as {1, rows, cols} row-major with rows = H, each bias as {1, H, 1}.
// An LSTM with a projection (projSize P < H in cudnnSetRNNDescriptor_v8) has recurrent matrices
// {1, H, P} (linLayerID 4-7 act on the P-wide h) and one more matrix, linLayerID 8, the
// recurrent projection {1, P, H}, which has no bias: PyTorch's weight_hr [P, H].
// PyTorch stacks the gates as row blocks of weight_ih [G*H, in], weight_hh [G*H, H] and the
// biases [G*H] in the order i, f, g, o (LSTM) and r, z, n (GRU): the same order, so linLayerID id
// maps to gate id % G of the input-side (id < G) or recurrent-side (id >= G) tensor.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <string>
#include <vector>

#include "kernels/cudnn/copy_run.h"
#include "recur/rnn.h"

namespace recur::cudnn {

// One matrix or bias vector of the weight space and the PyTorch block it holds.
struct WeightSlot {
  int32_t pseudo_layer = 0;  // layer * D + dir
  int32_t lin_layer_id = 0;  // cuDNN's linLayerID
  bool is_bias = false;
  ParamKind kind = ParamKind::W_ih;  // the PyTorch tensor: W_ih, W_hh, b_ih, b_hh or W_hr
  int64_t layer = 0;
  int64_t dir = 0;
  std::string param;       // its PyTorch name, "weight_hh_l1_reverse"
  int64_t row_offset = 0;  // first row of the block in that tensor: gate * H (W_hr: 0)
  int64_t rows = 0;        // H (W_hr: P)
  int64_t cols = 0;        // W_ih: the layer's input width; W_hh: P (= H without a
                           // projection); biases: 1; W_hr: H
  // Byte offset of the block in cuDNN's weight space; -1 until read from cudnnGetRNNWeightParams.
  int64_t space_offset = -1;

  int64_t numel() const { return rows * cols; }
  // First element of the block in the (contiguous, row-major) PyTorch tensor.
  int64_t param_offset() const { return row_offset * cols; }
};

// Every slot of `spec`'s network: for each pseudo-layer, linLayerID 0 .. 2G-1, the matrix and
// then (when spec.bias) the bias vector; with a projection then linLayerID 2G = 8, W_hr.
inline std::vector<WeightSlot> cudnn_weight_slots(const RnnSpec& spec) {
  const int64_t G = spec.gates(), H = spec.hidden_size, D = spec.directions();
  const int64_t P = spec.state_size();
  std::vector<WeightSlot> slots;
  for (int64_t layer = 0; layer < spec.num_layers; ++layer)
    for (int64_t dir = 0; dir < D; ++dir) {
      for (int64_t id = 0; id < 2 * G; ++id)
        for (int bias = 0; bias < (spec.bias ? 2 : 1); ++bias) {
          const bool recurrent = id >= G;
          WeightSlot s;
          s.pseudo_layer = static_cast<int32_t>(layer * D + dir);
          s.lin_layer_id = static_cast<int32_t>(id);
          s.is_bias = bias == 1;
          s.kind = s.is_bias ? (recurrent ? ParamKind::b_hh : ParamKind::b_ih)
                             : (recurrent ? ParamKind::W_hh : ParamKind::W_ih);
          s.layer = layer;
          s.dir = dir;
          s.param = param_name(s.kind, layer, dir);
          s.row_offset = (id % G) * H;
          s.rows = H;
          s.cols = s.is_bias ? 1 : (recurrent ? P : spec.layer_input_size(layer));
          slots.push_back(s);
        }
      if (spec.proj_size > 0) {
        WeightSlot s;
        s.pseudo_layer = static_cast<int32_t>(layer * D + dir);
        s.lin_layer_id = static_cast<int32_t>(2 * G);
        s.kind = ParamKind::W_hr;
        s.layer = layer;
        s.dir = dir;
        s.param = param_name(s.kind, layer, dir);
        s.rows = P;
        s.cols = H;
        slots.push_back(s);
      }
    }
  return slots;
}

// Checks cuDNN's reported shape of a slot. The documented form is {1, rows, cols} for matrices and
// {1, rows, 1} for biases; {rows, cols, 1} and {rows, cols} are accepted too, since only the
// order of rows (H, the gate's outputs) before columns matters to the row-major copy. A
// transposed or mis-sized block throws, naming the slot.
inline void check_slot_shape(const WeightSlot& s, int nb_dims, const int* dims) {
  const auto is = [&](std::initializer_list<int64_t> want) {
    if (nb_dims != static_cast<int>(want.size())) return false;
    int i = 0;
    for (int64_t w : want)
      if (dims[i++] != w) return false;
    return true;
  };
  const bool ok = is({1, s.rows, s.cols}) || is({s.rows, s.cols, 1}) || is({s.rows, s.cols});
  if (ok) return;
  std::string got;
  for (int i = 0; i < nb_dims; ++i) got += (i ? ", " : "") + std::to_string(dims[i]);
  RECUR_FAIL(
      "cudnn backend: weight space layout not understood: pseudo-layer {} linLayerID {} {} ({} "
      "rows {}..{}) is [{}] in cuDNN, expected [1, {}, {}]",
      s.pseudo_layer, s.lin_layer_id, s.is_bias ? "bias" : "matrix", s.param, s.row_offset,
      s.row_offset + s.rows, got, s.rows, s.cols);
}

// Checks that the slots' blocks lie inside a weight space of `space_bytes` and do not overlap.
inline void check_space_layout(const std::vector<WeightSlot>& slots, size_t elem_size,
                               size_t space_bytes) {
  std::vector<const WeightSlot*> order;
  for (const WeightSlot& s : slots) {
    RECUR_CHECK(s.space_offset >= 0, "cudnn backend: {} has no place in the weight space", s.param);
    order.push_back(&s);
  }
  std::sort(order.begin(), order.end(), [](const WeightSlot* a, const WeightSlot* b) {
    return a->space_offset < b->space_offset;
  });
  int64_t end = 0;
  for (const WeightSlot* s : order) {
    const int64_t bytes = s->numel() * static_cast<int64_t>(elem_size);
    RECUR_CHECK(
        s->space_offset >= end && s->space_offset + bytes <= static_cast<int64_t>(space_bytes),
        "cudnn backend: block of {} (pseudo-layer {} linLayerID {}) at bytes [{}, {}) "
        "overlaps another block or leaves the {}-byte weight space",
        s->param, s->pseudo_layer, s->lin_layer_id, s->space_offset, s->space_offset + bytes,
        space_bytes);
    end = s->space_offset + bytes;
  }
}

// The copies (CopyRun, executed by copy_runs_host or copy_runs_device) that move every parameter
// block from `params` into the weight space at `space` (host or device memory, matching where the
// parameters live).
inline std::vector<CopyRun> pack_runs(const std::vector<WeightSlot>& slots, const RnnParams& params,
                                      void* space) {
  const size_t elem = dtype_size(params.dtype());
  std::vector<CopyRun> runs;
  for (const WeightSlot& s : slots) {
    RECUR_ASSERT(s.space_offset >= 0);
    const auto* src = static_cast<const char*>(params.get(s.kind, s.layer, s.dir).raw());
    runs.push_back({src + s.param_offset() * elem, static_cast<char*>(space) + s.space_offset,
                    static_cast<size_t>(s.numel()) * elem});
  }
  return runs;
}

// The mirror image: every block of the weight-gradient space at `space` into `grads`, which must
// be allocated with the parameters' names and shapes. Together the slots cover every element of
// every tensor of `grads` exactly once.
inline std::vector<CopyRun> unpack_runs(const std::vector<WeightSlot>& slots, const void* space,
                                        RnnParams& grads) {
  const size_t elem = dtype_size(grads.dtype());
  std::vector<CopyRun> runs;
  for (const WeightSlot& s : slots) {
    RECUR_ASSERT(s.space_offset >= 0);
    auto* dst = static_cast<char*>(grads.get(s.kind, s.layer, s.dir).raw());
    runs.push_back({static_cast<const char*>(space) + s.space_offset, dst + s.param_offset() * elem,
                    static_cast<size_t>(s.numel()) * elem});
  }
  return runs;
}

// Joins runs that continue each other on both sides (cuDNN stores a layer's gate blocks one after
// the other, as PyTorch does, so the G blocks of a tensor usually become one copy).
inline std::vector<CopyRun> merge_runs(const std::vector<CopyRun>& runs) {
  std::vector<CopyRun> merged;
  for (const CopyRun& r : runs) {
    if (!merged.empty()) {
      CopyRun& last = merged.back();
      if (static_cast<const char*>(last.src) + last.bytes == r.src &&
          static_cast<char*>(last.dst) + last.bytes == r.dst) {
        last.bytes += r.bytes;
        continue;
      }
    }
    merged.push_back(r);
  }
  return merged;
}

inline void copy_runs_host(const std::vector<CopyRun>& runs) {
  for (const CopyRun& r : runs) std::memcpy(r.dst, r.src, r.bytes);
}

}  // namespace recur::cudnn
