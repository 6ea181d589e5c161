#include "validation/sweep.h"

#include <fmt/format.h>

namespace recur::validation {

RnnSpec SweepCase::spec() const {
  RnnSpec s;
  s.cell = cell;
  s.input_size = I;
  s.hidden_size = H;
  s.num_layers = layers;
  s.bidirectional = bidirectional;
  s.batch_first = batch_first;
  s.bias = bias;
  s.dropout = dropout;
  s.proj_size = proj_size;
  return s;
}

std::string SweepCase::name() const {
  const std::string proj = proj_size > 0 ? fmt::format(" P{}", proj_size) : "";
  std::string n = fmt::format("{} L{} {} {} {} I{} H{}{} T{} B{}", cell_name(cell), layers,
                              bidirectional ? "bi" : "uni", batch_first ? "[B,T]" : "[T,B]",
                              bias ? "bias" : "nobias", I, H, proj, T, B);
  if (states) n += " h0";
  if (dropout > 0) n += fmt::format(" p{}", dropout);
  if (missing_grads == 1) n += " no-grad-output";
  if (missing_grads == 2) n += " no-grad-state";
  if (!lengths.empty())
    n += fmt::format(" len{}[{}]", lengths_i32 ? "32" : "", fmt::join(lengths, ","));
  return n;
}

Tensor SweepCase::lengths_tensor() const {
  if (lengths.empty()) return Tensor();
  const int64_t n = static_cast<int64_t>(lengths.size());
  Tensor t = Tensor::empty({n}, lengths_i32 ? DType::I32 : DType::I64);
  for (int64_t b = 0; b < n; ++b) {
    if (lengths_i32) {
      t.data<int32_t>()[b] = static_cast<int32_t>(lengths[b]);
    } else {
      t.data<int64_t>()[b] = lengths[b];
    }
  }
  return t;
}

std::vector<SweepCase> sweep(const SweepOptions& options) {
  const int64_t Is[] = {3, 7, 1, 16};
  const int64_t Hs[] = {5, 13, 33, 9};
  const int64_t Ts[] = {4, 1, 6, 3, 5};
  const int64_t Bs[] = {2, 1, 3};
  const bool quick = options.quick;
  std::vector<SweepCase> cases;
  int i = 0;
  for (Cell cell : all_cells()) {
    for (int64_t layers : {1, 2, 3}) {
      if (quick && layers == 3) continue;
      for (bool bi : {false, true}) {
        for (int variant = 0; variant < (quick ? 1 : 4); ++variant) {
          SweepCase c;
          c.cell = cell;
          c.layers = layers;
          c.bidirectional = bi;
          // quick: layout and bias alternate between cases instead of being swept.
          c.batch_first = quick ? i % 2 == 1 : (variant & 1) != 0;
          c.bias = quick ? i % 3 != 2 : (variant & 2) == 0;
          c.I = Is[i % 4];
          c.H = Hs[(i / 2) % 4];
          c.T = Ts[i % 5];
          c.B = Bs[i % 3];
          c.states = i % 3 != 1;
          c.dropout = options.dropout && layers > 1 && i % 2 == 0 ? 0.3 : 0.0;
          if (options.missing_grads) c.missing_grads = i % 7 == 3 ? 1 : i % 11 == 5 ? 2 : 0;
          cases.push_back(c);
          ++i;
        }
      }
    }
  }
  if (options.ragged) {
    for (Cell cell : all_cells()) {
      // {layers, bi, batch_first, T, lengths, h0, i32}
      struct Ragged {
        int64_t layers;
        bool bi, batch_first;
        int64_t T;
        std::vector<int64_t> lengths;
        bool states, i32;
      };
      const Ragged rs[] = {
          {1, false, false, 6, {3, 6, 1, 4, 6}, true, false},  // unsorted, a length-1 sequence
          {2, true, true, 5, {2, 5, 5, 1}, false, true},       // bi, 2 layers, batch_first, I32
          {2, true, false, 4, {4, 4, 4}, true, false},         // every length = T (sorted)
          {1, true, true, 7, {5, 3, 3, 1}, true, false},       // sorted, all below T
      };
      for (const Ragged& r : rs) {
        if (quick && &r - rs >= 2) continue;  // quick: the first two
        SweepCase c;
        c.cell = cell;
        c.layers = r.layers;
        c.bidirectional = r.bi;
        c.batch_first = r.batch_first;
        c.I = Is[i % 4];
        c.H = Hs[(i / 2) % 4];
        c.T = r.T;
        c.B = static_cast<int64_t>(r.lengths.size());
        c.states = r.states;
        c.dropout = options.dropout && r.layers > 1 && r.batch_first ? 0.3 : 0.0;
        if (options.missing_grads) c.missing_grads = i % 4 == 3 ? 1 : i % 4 == 1 ? 2 : 0;
        c.lengths = r.lengths;
        c.lengths_i32 = r.i32;
        cases.push_back(c);
        ++i;
      }
    }
  }
  // LSTM projections: layers {1, 2} x directions, odd H and P (H = 17, P = 5 among them),
  // layout and bias alternating.
  const int64_t Hps[][2] = {{17, 5}, {9, 4}, {13, 1}, {6, 5}};
  int j = 0;
  for (int64_t layers : {1, 2}) {
    for (bool bi : {false, true}) {
      for (int variant = 0; variant < (quick ? 1 : 2); ++variant) {
        SweepCase c;
        c.cell = Cell::LSTM;
        c.layers = layers;
        c.bidirectional = bi;
        c.batch_first = j % 2 == 1;
        c.bias = j % 3 != 2;
        c.I = Is[j % 4];
        c.H = Hps[j % 4][0];
        c.proj_size = Hps[j % 4][1];
        c.T = Ts[j % 5];
        c.B = Bs[j % 3];
        c.states = j % 3 != 1;
        c.dropout = options.dropout && layers > 1 && j % 2 == 0 ? 0.3 : 0.0;
        if (options.missing_grads) c.missing_grads = j % 4 == 3 ? 1 : j % 5 == 2 ? 2 : 0;
        cases.push_back(c);
        ++j;
      }
    }
  }
  if (options.ragged) {
    // A projection on a variable-length batch: unsorted lengths with a length-1 sequence, 2
    // layers, bidirectional, batch-first (quick: this one; full: also a uni, sorted one).
    for (int variant = 0; variant < (quick ? 1 : 2); ++variant) {
      SweepCase c;
      c.cell = Cell::LSTM;
      c.layers = variant == 0 ? 2 : 1;
      c.bidirectional = variant == 0;
      c.batch_first = variant == 0;
      c.I = 5;
      c.H = 11;
      c.proj_size = variant == 0 ? 4 : 1;
      c.T = 6;
      c.lengths = variant == 0 ? std::vector<int64_t>{3, 6, 1, 4} : std::vector<int64_t>{6, 5, 2};
      c.B = static_cast<int64_t>(c.lengths.size());
      c.states = variant == 0;
      cases.push_back(c);
    }
  }
  if (!quick && options.wide) {
    for (Cell cell : all_cells()) {
      SweepCase c;
      c.cell = cell;
      c.layers = 2;
      c.bidirectional = true;
      c.batch_first = cell == Cell::GRU;
      c.I = 24;
      c.H = cell == Cell::LSTM ? 130 : 67;
      c.T = 12;
      c.B = 16;
      c.dropout = options.dropout ? 0.2 : 0.0;
      cases.push_back(c);
    }
  }
  return cases;
}

}  // namespace recur::validation
