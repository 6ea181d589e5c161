#include "recur/rnn.h"

#include <cmath>

#include "recur/random.h"

namespace recur {

namespace {

// The kinds one layer and direction has, in PyTorch's state_dict order.
std::vector<ParamKind> kinds_of(const RnnSpec& spec) {
  std::vector<ParamKind> kinds;
  kinds.reserve(5);
  kinds.push_back(ParamKind::W_ih);
  kinds.push_back(ParamKind::W_hh);
  if (spec.bias) {
    kinds.push_back(ParamKind::b_ih);
    kinds.push_back(ParamKind::b_hh);
  }
  if (spec.proj_size > 0) kinds.push_back(ParamKind::W_hr);
  return kinds;
}

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
  RECUR_CHECK(proj_size >= 0, "proj_size must be >= 0, got {}", proj_size);
  if (proj_size > 0) {
    RECUR_CHECK(cell == Cell::LSTM, "proj_size is only supported for LSTM, not {}",
                cell_name(cell));
    RECUR_CHECK(proj_size < hidden_size,
                "proj_size must be smaller than hidden_size, got proj_size {} and hidden_size {}",
                proj_size, hidden_size);
  }
}

bool operator==(const RnnSpec& a, const RnnSpec& b) {
  return a.cell == b.cell && a.input_size == b.input_size && a.hidden_size == b.hidden_size &&
         a.num_layers == b.num_layers && a.bidirectional == b.bidirectional && a.bias == b.bias &&
         a.batch_first == b.batch_first && a.dropout == b.dropout && a.proj_size == b.proj_size;
}

std::string param_name(ParamKind kind, int64_t layer, int64_t dir) {
  static const char* const base[] = {"weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_hr"};
  return fmt::format("{}_l{}{}", base[static_cast<int>(kind)], layer, dir ? "_reverse" : "");
}

Shape param_shape(const RnnSpec& spec, ParamKind kind, int64_t layer) {
  const int64_t rows = spec.gates() * spec.hidden_size;
  switch (kind) {
    case ParamKind::W_ih:
      return {rows, spec.layer_input_size(layer)};
    case ParamKind::W_hh:
      return {rows, spec.state_size()};
    case ParamKind::b_ih:
    case ParamKind::b_hh:
      return {rows};
    case ParamKind::W_hr:
      return {spec.proj_size, spec.hidden_size};
  }
  RECUR_FAIL("unknown parameter kind");
}

RnnParams::RnnParams(const RnnSpec& spec, DType dtype) : spec_(spec), dtype_(dtype) {
  spec.validate();
  RECUR_CHECK(dtype == DType::F32 || dtype == DType::F64, "parameters must be F32 or F64, not {}",
              dtype_name(dtype));
  for (int64_t l = 0; l < spec.num_layers; ++l)
    for (int64_t d = 0; d < spec.directions(); ++d)
      for (ParamKind kind : kinds_of(spec)) {
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
  const std::vector<ParamKind> kinds = kinds_of(spec_);
  int64_t at = -1;
  for (size_t k = 0; k < kinds.size(); ++k)
    if (kinds[k] == kind) at = static_cast<int64_t>(k);
  RECUR_CHECK(at >= 0, "{} requested but the network has no {}", param_name(kind, layer, dir),
              kind == ParamKind::W_hr ? "projection" : "bias");
  const int64_t n = static_cast<int64_t>(kinds.size());
  return static_cast<size_t>((layer * spec_.directions() + dir) * n + at);
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
