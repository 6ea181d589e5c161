// The description of a recurrent network (RnnSpec) and its parameters (RnnParams), named and
// shaped exactly as PyTorch's nn.RNN / nn.LSTM / nn.GRU state_dict, so weights move both ways.
//
// Letters used throughout recur: T steps, B batch, I input size, H hidden size, G gates
// (1 RNN, 4 LSTM, 3 GRU), L layers, D directions (1 or 2).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "recur/cell.h"
#include "recur/tensor.h"

namespace recur {

// The cells and their properties: recur/cell.h (kCells).
const char* cell_name(Cell cell);        // "RNN_TANH", "RNN_RELU", "LSTM", "GRU"
Cell parse_cell(std::string_view name);  // the names above; throws recur::Error otherwise
int64_t cell_gates(Cell cell);           // G: 1, 1, 4, 3
std::string cell_names();                // "RNN_TANH, RNN_RELU, LSTM or GRU", for messages

struct RnnSpec {
  Cell cell = Cell::LSTM;
  int64_t input_size = 0;   // I
  int64_t hidden_size = 0;  // H
  int64_t num_layers = 1;   // L
  bool bidirectional = false;
  bool bias = true;
  bool batch_first = false;  // input/output [B, T, .] instead of [T, B, .]; states unaffected
  double dropout = 0.0;      // on the outputs of every layer but the last, in training only
  int64_t proj_size = 0;     // P: LSTM only, 0 < P < H, h_t = W_hr (o_t * tanh(c_t)); 0 = none

  int64_t gates() const { return cell_gates(cell); }
  int64_t directions() const { return bidirectional ? 2 : 1; }
  // The width of h (h0, h_n, each direction's output columns): P with a projection, else H.
  // c stays H wide.
  int64_t state_size() const { return proj_size > 0 ? proj_size : hidden_size; }
  // Input width of `layer`: I for layer 0, D*state_size() above it.
  int64_t layer_input_size(int64_t layer) const {
    return layer == 0 ? input_size : directions() * state_size();
  }
  bool has_cell_state() const {  // LSTM
    const CellInfo* info = cell_info(cell);
    return info && info->cell_state;
  }
  void validate() const;  // throws recur::Error naming the offending field
};

bool operator==(const RnnSpec& a, const RnnSpec& b);
inline bool operator!=(const RnnSpec& a, const RnnSpec& b) {
  return !(a == b);
}

// The parameter tensors of one layer and direction (W_hr only with a projection).
enum class ParamKind : uint8_t { W_ih = 0, W_hh = 1, b_ih = 2, b_hh = 3, W_hr = 4 };

// "weight_ih_l0", "bias_hh_l2_reverse", "weight_hr_l0", ...
std::string param_name(ParamKind kind, int64_t layer, int64_t dir);
// W_ih [G*H, layer input], W_hh [G*H, state_size()], biases [G*H], W_hr [P, H].
Shape param_shape(const RnnSpec& spec, ParamKind kind, int64_t layer);

// All parameters of a network in PyTorch's order: layer by layer, forward direction before
// reverse, and within each weight_ih, weight_hh, bias_ih, bias_hh (biases only if spec.bias),
// weight_hr (only if spec.proj_size > 0).
class RnnParams {
 public:
  RnnParams() = default;
  // Zero-filled parameters of `dtype` for `spec`.
  RnnParams(const RnnSpec& spec, DType dtype);
  // PyTorch's default initialisation: every tensor uniform in [-1/sqrt(H), 1/sqrt(H)], drawn
  // from a generator seeded with `seed` (reproducible, not bit-identical to PyTorch's).
  static RnnParams init_uniform(const RnnSpec& spec, uint64_t seed, DType dtype = DType::F32);

  const RnnSpec& spec() const { return spec_; }
  DType dtype() const { return dtype_; }
  size_t size() const { return tensors_.size(); }
  const std::string& name(size_t i) const { return names_.at(i); }
  Tensor& operator[](size_t i) { return tensors_.at(i); }
  const Tensor& operator[](size_t i) const { return tensors_.at(i); }

  // The tensor of one kind, layer and direction. Biases throw if spec.bias is false, W_hr if
  // spec.proj_size is 0.
  Tensor& get(ParamKind kind, int64_t layer, int64_t dir);
  const Tensor& get(ParamKind kind, int64_t layer, int64_t dir) const;
  bool has_bias() const { return spec_.bias; }
  bool has_projection() const { return spec_.proj_size > 0; }

  // By PyTorch name; nullptr when absent.
  Tensor* find(std::string_view name);
  const Tensor* find(std::string_view name) const;

  RnnParams clone() const;
  RnnParams to(DType dtype) const;
  // Replaces tensor i after checking its shape; used by loaders.
  void set(size_t i, Tensor t);

 private:
  size_t index(ParamKind kind, int64_t layer, int64_t dir) const;
  RnnSpec spec_;
  DType dtype_ = DType::F32;
  std::vector<std::string> names_;
  std::vector<Tensor> tensors_;
};

}  // namespace recur
