// The map between PyTorch-layout parameters and cuDNN's RNN weight space (kernels/cudnn/
// weight_map.h), checked on the host against cuDNN's documented numbering: every cell, every
// gate, both bias vectors, bidirectional and multi-layer networks, with and without bias. Also the
// packing and unpacking copies, run on a host "weight space" with a scattered layout.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "kernels/cudnn/weight_map.h"
#include "recur/random.h"
#include "support/random_inputs.h"

namespace recur::cudnn {
namespace {

// cuDNN's documentation of cudnnGetRNNWeightParams, as tables indexed by linLayerID: which gate
// the matrix or bias belongs to, and whether it multiplies the layer input ('x') or the hidden
// state ('h').
struct DocumentedId {
  const char* gate;
  char side;
};
std::vector<DocumentedId> documented_ids(Cell cell) {
  switch (cell) {
    case Cell::RNN_TANH:
    case Cell::RNN_RELU:
      return {{"h", 'x'}, {"h", 'h'}};
    case Cell::LSTM:  // input, forget, new memory (cell candidate), output gates
      return {{"i", 'x'}, {"f", 'x'}, {"g", 'x'}, {"o", 'x'},
              {"i", 'h'}, {"f", 'h'}, {"g", 'h'}, {"o", 'h'}};
    case Cell::GRU:  // reset, update, new memory gates
      return {{"r", 'x'}, {"z", 'x'}, {"n", 'x'}, {"r", 'h'}, {"z", 'h'}, {"n", 'h'}};
  }
  return {};
}

// PyTorch's row blocks of weight_ih / weight_hh / the biases, top to bottom.
std::vector<std::string> pytorch_gate_rows(Cell cell) {
  switch (cell) {
    case Cell::RNN_TANH:
    case Cell::RNN_RELU:
      return {"h"};
    case Cell::LSTM:
      return {"i", "f", "g", "o"};
    case Cell::GRU:
      return {"r", "z", "n"};
  }
  return {};
}

int64_t pytorch_row_block(Cell cell, const std::string& gate) {
  const std::vector<std::string> rows = pytorch_gate_rows(cell);
  for (size_t i = 0; i < rows.size(); ++i)
    if (rows[i] == gate) return static_cast<int64_t>(i);
  ADD_FAILURE() << "gate " << gate << " has no PyTorch row block";
  return -1;
}

std::vector<RnnSpec> all_specs() {
  std::vector<RnnSpec> specs;
  for (Cell cell : all_cells())
    for (int64_t layers : {1, 2, 3})
      for (bool bidirectional : {false, true})
        for (bool bias : {true, false}) {
          RnnSpec s;
          s.cell = cell;
          s.input_size = 3;
          s.hidden_size = 5;
          s.num_layers = layers;
          s.bidirectional = bidirectional;
          s.bias = bias;
          specs.push_back(s);
        }
  return specs;
}

// LSTMs with a projection (proj_size 2 < H = 5), layers {1, 2} x directions x bias.
std::vector<RnnSpec> projected_specs() {
  std::vector<RnnSpec> specs;
  for (const RnnSpec& base : all_specs()) {
    if (base.cell != Cell::LSTM || base.num_layers > 2) continue;
    RnnSpec s = base;
    s.proj_size = 2;
    specs.push_back(s);
  }
  return specs;
}

// Every spec, projected ones included.
std::vector<RnnSpec> all_specs_with_projections() {
  std::vector<RnnSpec> specs = all_specs();
  for (const RnnSpec& s : projected_specs()) specs.push_back(s);
  return specs;
}

std::string describe(const RnnSpec& s) {
  return fmt::format("{} L={} {} {}{}", cell_name(s.cell), s.num_layers,
                     s.bidirectional ? "bi" : "uni", s.bias ? "bias" : "no-bias",
                     s.proj_size > 0 ? fmt::format(" P={}", s.proj_size) : "");
}

TEST(CudnnWeightMap, EveryLinLayerIdMapsToItsDocumentedGateAndTensor) {
  for (const RnnSpec& spec : all_specs()) {
    SCOPED_TRACE(describe(spec));
    const std::vector<DocumentedId> ids = documented_ids(spec.cell);
    const int64_t D = spec.directions(), H = spec.hidden_size;
    const std::vector<WeightSlot> slots = cudnn_weight_slots(spec);
    ASSERT_EQ(slots.size(),
              static_cast<size_t>(spec.num_layers * D) * ids.size() * (spec.bias ? 2 : 1));
    size_t next = 0;
    for (int64_t layer = 0; layer < spec.num_layers; ++layer)
      for (int64_t dir = 0; dir < D; ++dir)
        for (size_t id = 0; id < ids.size(); ++id)
          for (bool is_bias : {false, true}) {
            if (is_bias && !spec.bias) continue;
            const WeightSlot& s = slots.at(next++);
            const bool input_side = ids[id].side == 'x';
            const std::string tensor = std::string(is_bias ? "bias" : "weight") +
                                       (input_side ? "_ih_l" : "_hh_l") + std::to_string(layer) +
                                       (dir == 1 ? "_reverse" : "");
            SCOPED_TRACE(fmt::format("layer {} dir {} linLayerID {} {}", layer, dir, id,
                                     is_bias ? "bias" : "matrix"));
            EXPECT_EQ(s.pseudo_layer, layer * D + dir);
            EXPECT_EQ(s.lin_layer_id, static_cast<int32_t>(id));
            EXPECT_EQ(s.is_bias, is_bias);
            EXPECT_EQ(s.param, tensor);
            EXPECT_EQ(s.layer, layer);
            EXPECT_EQ(s.dir, dir);
            EXPECT_EQ(s.row_offset, pytorch_row_block(spec.cell, ids[id].gate) * H);
            EXPECT_EQ(s.rows, H);
            const int64_t in_width = layer == 0 ? spec.input_size : D * H;
            EXPECT_EQ(s.cols, is_bias ? 1 : (input_side ? in_width : H));
            EXPECT_EQ(s.space_offset, -1);
          }
  }
}

// With a projection: linLayerID 0-7 as without one but the recurrent matrices H x P, then
// linLayerID 8, the recurrent projection [P, H] (weight_hr), without a bias.
TEST(CudnnWeightMap, ProjectionIsLinLayerId8AfterTheGates) {
  for (const RnnSpec& spec : projected_specs()) {
    SCOPED_TRACE(describe(spec));
    const int64_t D = spec.directions(), H = spec.hidden_size, P = spec.proj_size;
    const std::vector<WeightSlot> slots = cudnn_weight_slots(spec);
    const size_t per_dir = 8 * (spec.bias ? 2 : 1) + 1;
    ASSERT_EQ(slots.size(), static_cast<size_t>(spec.num_layers * D) * per_dir);
    for (int64_t layer = 0; layer < spec.num_layers; ++layer)
      for (int64_t dir = 0; dir < D; ++dir) {
        const size_t first = static_cast<size_t>(layer * D + dir) * per_dir;
        for (size_t k = 0; k + 1 < per_dir; ++k) {
          const WeightSlot& s = slots[first + k];
          const bool recurrent = s.lin_layer_id >= 4;
          const int64_t in_width = layer == 0 ? spec.input_size : D * P;
          EXPECT_EQ(s.rows, H) << s.param;
          EXPECT_EQ(s.cols, s.is_bias ? 1 : recurrent ? P : in_width) << s.param;
        }
        const WeightSlot& w = slots[first + per_dir - 1];
        EXPECT_EQ(w.pseudo_layer, layer * D + dir);
        EXPECT_EQ(w.lin_layer_id, 8);
        EXPECT_FALSE(w.is_bias);
        EXPECT_TRUE(w.kind == ParamKind::W_hr);
        EXPECT_EQ(w.param, "weight_hr_l" + std::to_string(layer) + (dir ? "_reverse" : ""));
        EXPECT_EQ(w.row_offset, 0);
        EXPECT_EQ(w.rows, P);
        EXPECT_EQ(w.cols, H);
      }
  }
}

TEST(CudnnWeightMap, NamesMatchPytorchSpelling) {
  RnnSpec spec;
  spec.cell = Cell::GRU;
  spec.input_size = 4;
  spec.hidden_size = 6;
  spec.num_layers = 2;
  spec.bidirectional = true;
  const std::vector<WeightSlot> slots = cudnn_weight_slots(spec);
  // pseudo-layer 3 = layer 1, reverse; linLayerID 4 = recurrent-side update gate (z, rows 6..11).
  bool found_matrix = false, found_bias = false;
  for (const WeightSlot& s : slots) {
    if (s.pseudo_layer != 3 || s.lin_layer_id != 4) continue;
    EXPECT_EQ(s.row_offset, 6);
    if (s.is_bias) {
      found_bias = true;
      EXPECT_EQ(s.param, "bias_hh_l1_reverse");
    } else {
      found_matrix = true;
      EXPECT_EQ(s.param, "weight_hh_l1_reverse");
      EXPECT_EQ(s.param_offset(), 6 * 6);
    }
  }
  EXPECT_TRUE(found_matrix && found_bias);
}

// Together the slots cover every element of every parameter exactly once (so unpacking the
// gradients writes all of them, and packing reads all of them).
TEST(CudnnWeightMap, SlotsCoverEveryParameterElementOnce) {
  for (const RnnSpec& spec : all_specs_with_projections()) {
    SCOPED_TRACE(describe(spec));
    const RnnParams params(spec, DType::F32);
    std::vector<std::vector<int>> hits(params.size());
    for (size_t i = 0; i < params.size(); ++i)
      hits[i].assign(static_cast<size_t>(params[i].numel()), 0);
    for (const WeightSlot& s : cudnn_weight_slots(spec)) {
      size_t index = params.size();
      for (size_t i = 0; i < params.size(); ++i)
        if (params.name(i) == s.param) index = i;
      ASSERT_LT(index, params.size()) << s.param << " is not a parameter of the network";
      EXPECT_EQ(params[index].shape(), param_shape(spec, s.kind, s.layer)) << s.param;
      ASSERT_LE(s.param_offset() + s.numel(), params[index].numel()) << s.param;
      for (int64_t e = 0; e < s.numel(); ++e)
        ++hits[index][static_cast<size_t>(s.param_offset() + e)];
    }
    for (size_t i = 0; i < params.size(); ++i)
      for (size_t e = 0; e < hits[i].size(); ++e)
        ASSERT_EQ(hits[i][e], 1) << params.name(i) << " element " << e;
  }
}

// A weight space laid out differently from PyTorch: the slots in reverse order with 8 bytes of
// padding between blocks, so that any mix-up of offsets, rows or columns moves data visibly.
size_t scatter_slots(std::vector<WeightSlot>& slots, size_t elem) {
  size_t offset = 8;
  for (auto it = slots.rbegin(); it != slots.rend(); ++it) {
    it->space_offset = static_cast<int64_t>(offset);
    offset += static_cast<size_t>(it->numel()) * elem + 8;
  }
  return offset;
}

template <class T>
void check_round_trip(const RnnSpec& spec, DType dtype) {
  const RnnParams params = RnnParams::init_uniform(spec, 7, dtype);
  std::vector<WeightSlot> slots = cudnn_weight_slots(spec);
  const size_t bytes = scatter_slots(slots, sizeof(T));
  check_space_layout(slots, sizeof(T), bytes);
  std::vector<T> space(bytes / sizeof(T) + 1, std::numeric_limits<T>::quiet_NaN());

  copy_runs_host(merge_runs(pack_runs(slots, params, space.data())));
  // Each block holds rows [row_offset, row_offset + H) of its tensor, row-major.
  for (const WeightSlot& s : slots) {
    const T* src = params.get(s.kind, s.layer, s.dir).template data<T>();
    const T* block = space.data() + s.space_offset / static_cast<int64_t>(sizeof(T));
    for (int64_t r = 0; r < s.rows; ++r)
      for (int64_t c = 0; c < s.cols; ++c)
        ASSERT_EQ(block[r * s.cols + c], src[(s.row_offset + r) * s.cols + c])
            << s.param << " row " << s.row_offset + r << " col " << c;
  }

  RnnParams grads = params.clone();
  for (size_t i = 0; i < grads.size(); ++i) test::poison(grads[i]);
  copy_runs_host(merge_runs(unpack_runs(slots, space.data(), grads)));
  for (size_t i = 0; i < params.size(); ++i) {
    const T* want = params[i].template data<T>();
    const T* got = grads[i].template data<T>();
    for (int64_t e = 0; e < params[i].numel(); ++e)
      ASSERT_EQ(got[e], want[e]) << params.name(i) << " element " << e;
  }
}

TEST(CudnnWeightMap, PackThenUnpackRestoresEveryParameter) {
  for (const RnnSpec& spec : all_specs_with_projections()) {
    SCOPED_TRACE(describe(spec));
    check_round_trip<float>(spec, DType::F32);
    check_round_trip<double>(spec, DType::F64);
  }
}

TEST(CudnnWeightMap, MergeJoinsOnlyRunsContiguousOnBothSides) {
  char src[64] = {}, dst[64] = {};
  const std::vector<CopyRun> runs = {
      {src, dst, 8},  // joins the next: both sides continue
      {src + 8, dst + 8, 8},
      {src + 16, dst + 20, 4},  // destination jumps: new run
      {src + 24, dst + 24, 4},  // source jumps: new run
  };
  const std::vector<CopyRun> merged = merge_runs(runs);
  ASSERT_EQ(merged.size(), 3u);
  EXPECT_EQ(merged[0].src, static_cast<const void*>(src));
  EXPECT_EQ(merged[0].bytes, 16u);
  EXPECT_EQ(merged[1].dst, static_cast<void*>(dst + 20));
  EXPECT_EQ(merged[2].src, static_cast<const void*>(src + 24));
}

WeightSlot input_matrix_slot() {
  RnnSpec spec;
  spec.cell = Cell::LSTM;
  spec.input_size = 3;
  spec.hidden_size = 5;
  return cudnn_weight_slots(spec).front();  // pseudo-layer 0, linLayerID 0, [5, 3]
}

TEST(CudnnWeightMap, SlotShapeCheckAcceptsDocumentedShapesOnly) {
  const WeightSlot m = input_matrix_slot();
  const int good[3] = {1, 5, 3};
  EXPECT_NO_THROW(check_slot_shape(m, 3, good));
  const int transposed[3] = {1, 3, 5};
  try {
    check_slot_shape(m, 3, transposed);
    ADD_FAILURE() << "a transposed matrix was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("weight_ih_l0"), std::string::npos) << e.what();
  }
  const int trailing_one[3] = {5, 3, 1};
  EXPECT_NO_THROW(check_slot_shape(m, 3, trailing_one));
  const int too_small[3] = {1, 5, 2};
  EXPECT_THROW(check_slot_shape(m, 3, too_small), Error);
  EXPECT_THROW(check_slot_shape(m, 0, good), Error);  // absent matrix

  WeightSlot b = m;
  b.is_bias = true;
  b.cols = 1;
  const int bias[3] = {1, 5, 1};
  EXPECT_NO_THROW(check_slot_shape(b, 3, bias));
}

TEST(CudnnWeightMap, LayoutCheckRejectsOverlapsAndOverruns) {
  RnnSpec spec;
  spec.cell = Cell::RNN_TANH;
  spec.input_size = 3;
  spec.hidden_size = 5;
  std::vector<WeightSlot> slots = cudnn_weight_slots(spec);  // 15, 5, 25, 5 floats
  const size_t bytes = scatter_slots(slots, sizeof(float));
  EXPECT_NO_THROW(check_space_layout(slots, sizeof(float), bytes));
  EXPECT_THROW(check_space_layout(slots, sizeof(float), bytes - 16), Error);  // last block overruns

  std::vector<WeightSlot> overlapping = slots;
  overlapping[1].space_offset = overlapping[0].space_offset + 4;
  EXPECT_THROW(check_space_layout(overlapping, sizeof(float), bytes), Error);

  std::vector<WeightSlot> unplaced = slots;
  unplaced[2].space_offset = -1;
  EXPECT_THROW(check_space_layout(unplaced, sizeof(float), bytes), Error);
}

}  // namespace
}  // namespace recur::cudnn
