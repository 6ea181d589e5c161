#include "recur/rnn.h"

#include <cmath>

#include "recur/random.h"

namespace recur {

namespace {

const CellInfo& info_of(Cell cell) {
  const CellInfo* info = cell_info(cell);
  RECUR_CHECK(info, "unknown cell {}", static_cast<int>(cell));
  return *info;
}

}  // namespace

const char* cell_name(Cell cell) {
  const CellInfo* info = cell_info(cell);
  return info ? info->name : "?";
}

std::string cell_names() {
  std::string out;
  const size_t n = sizeof(kCells) / sizeof(kCells[0]);
  for (size_t i = 0; i < n; ++i) {
    if (i > 0) out += i + 1 == n ? " or " : ", ";
    out += kCells[i].name;
  }
  return out;
}

Cell parse_cell(std::string_view name) {
  for (const CellInfo& info : kCells)
    if (name == info.name) return info.cell;
  RECUR_FAIL("unknown mode '{}' (expected {})", name, cell_names());
}

int64_t cell_gates(Cell cell) {
  return info_of(cell).gates;
}

void RnnSpec::validate() const {
  cell_gates(cell);
  RECUR_CHECK(input_size > 0, "input_size must be positive, got {}", input_size);
  RECUR_CHECK(hidden_size > 0, "hidden_size must be positive, got {}", hidden_size);
  RECUR_CHECK(num_layers > 0, "num_layers must be positive, got {}", num_layers);
  RECUR_CHECK(
      input_size <= (int64_t{1} << 31) && hidden_size <= (int64_t{1} << 24) && num_layers <= 1024,
      "sizes out of range (input_size {}, hidden_size {}, num_layers {})", input_size, hidden_size,
      num_layers);
  RECUR_CHECK(dropout >= 0.0 && dropout <= 1.0, "dropout must be in [0, 1], got {}", dropout);
}

bool operator==(const RnnSpec& a, const RnnSpec& b) {
  return a.cell == b.cell && a.input_size == b.input_size && a.hidden_size == b.hidden_size &&
         a.num_layers == b.num_layers && a.bidirectional == b.bidirectional && a.bias == b.bias &&
         a.batch_first == b.batch_first && a.dropout == b.dropout;
}

std::string param_name(ParamKind kind, int64_t layer, int64_t dir) {
  static const char* const base[] = {"weight_ih", "weight_hh", "bias_ih", "bias_hh"};
  return fmt::format("{}_l{}{}", base[static_cast<int>(kind)], layer, dir ? "_reverse" : "");
}

Shape param_shape(const RnnSpec& spec, ParamKind kind, int64_t layer) {
  const int64_t rows = spec.gates() * spec.hidden_size;
  switch (kind) {
    case ParamKind::W_ih:
      return {rows, spec.layer_input_size(layer)};
    case ParamKind::W_hh:
      return {rows, spec.hidden_size};
    case ParamKind::b_ih:
    case ParamKind::b_hh:
      return {rows};
  }
  RECUR_FAIL("unknown parameter kind");
}

RnnParams::RnnParams(const RnnSpec& spec, DType dtype) : spec_(spec), dtype_(dtype) {
  spec.validate();
  RECUR_CHECK(dtype == DType::F32 || dtype == DType::F64, "parameters must be F32 or F64, not {}",
              dtype_name(dtype));
  const int kinds = spec.bias ? 4 : 2;
  for (int64_t l = 0; l < spec.num_layers; ++l)
    for (int64_t d = 0; d < spec.directions(); ++d)
      for (int k = 0; k < kinds; ++k) {
        const auto kind = static_cast<ParamKind>(k);
        names_.push_back(param_name(kind, l, d));
        tensors_.push_back(Tensor::zeros(param_shape(spec, kind, l), dtype));
      }
}

RnnParams RnnParams::init_uniform(const RnnSpec& spec, uint64_t seed, DType dtype) {
  RnnParams p(spec, dtype);
  Rng rng(seed);
  const double bound = 1.0 / std::sqrt(static_cast<double>(spec.hidden_size));
  for (Tensor& t : p.tensors_) {
    if (dtype == DType::F32) {
      float* x = t.data<float>();
      for (int64_t i = 0; i < t.numel(); ++i) x[i] = static_cast<float>(rng.uniform(-bound, bound));
    } else {
      double* x = t.data<double>();
      for (int64_t i = 0; i < t.numel(); ++i) x[i] = rng.uniform(-bound, bound);
    }
  }
  return p;
}

size_t RnnParams::index(ParamKind kind, int64_t layer, int64_t dir) const {
  RECUR_CHECK(layer >= 0 && layer < spec_.num_layers && dir >= 0 && dir < spec_.directions(),
              "no parameters for layer {} direction {}", layer, dir);
  const int kinds = spec_.bias ? 4 : 2;
  RECUR_CHECK(static_cast<int>(kind) < kinds, "{} requested but the network has no bias",
              param_name(kind, layer, dir));
  return static_cast<size_t>((layer * spec_.directions() + dir) * kinds + static_cast<int>(kind));
}

Tensor& RnnParams::get(ParamKind kind, int64_t layer, int64_t dir) {
  return tensors_[index(kind, layer, dir)];
}
const Tensor& RnnParams::get(ParamKind kind, int64_t layer, int64_t dir) const {
  return tensors_[index(kind, layer, dir)];
}

Tensor* RnnParams::find(std::string_view name) {
  for (size_t i = 0; i < names_.size(); ++i)
    if (names_[i] == name) return &tensors_[i];
  return nullptr;
}
const Tensor* RnnParams::find(std::string_view name) const {
  return const_cast<RnnParams*>(this)->find(name);
}

RnnParams RnnParams::clone() const {
  RnnParams p = *this;
  for (Tensor& t : p.tensors_) t = t.clone();
  return p;
}

RnnParams RnnParams::to(DType dtype) const {
  RnnParams p = *this;
  p.dtype_ = dtype;
  for (Tensor& t : p.tensors_) t = t.to(dtype);
  return p;
}

void RnnParams::set(size_t i, Tensor t) {
  RECUR_CHECK(i < tensors_.size(), "parameter index {} out of range", i);
  check_shape(t, tensors_[i].shape(), names_[i]);
  RECUR_CHECK(t.dtype() == dtype_, "{}: expected dtype {}, got {}", names_[i], dtype_name(dtype_),
              dtype_name(t.dtype()));
  tensors_[i] = std::move(t);
}

}  // namespace recur
