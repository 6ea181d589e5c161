// The recurrent cells recur knows, described once: each one's name (the `mode` of a weights
// file, PyTorch's), its number of gates G and whether it carries a cell state c besides h.
// Everything that lists the cells (parsing, the sweeps of `recur check` and the tests) reads
// kCells, so a new cell is one row here. Free of fmt and CUDA headers: the .cu files include it.
#pragma once

#include <cstdint>
#include <vector>

namespace recur {

enum class Cell : uint8_t { RNN_TANH, RNN_RELU, LSTM, GRU };

struct CellInfo {
  Cell cell;
  const char* name;  // "RNN_TANH", ...
  int64_t gates;     // G: rows of W_ih / W_hh per hidden unit
  bool cell_state;   // carries c (c0, c_n) besides h
};

inline constexpr CellInfo kCells[] = {
    {Cell::RNN_TANH, "RNN_TANH", 1, false},
    {Cell::RNN_RELU, "RNN_RELU", 1, false},
    {Cell::LSTM, "LSTM", 4, true},
    {Cell::GRU, "GRU", 3, false},
};

// The row of `cell`; nullptr for a value outside the table.
constexpr const CellInfo* cell_info(Cell cell) {
  for (const CellInfo& info : kCells) {
    if (info.cell == cell) return &info;
  }
  return nullptr;
}

// Every cell, in kCells' order: what the sweeps iterate over.
inline std::vector<Cell> all_cells() {
  std::vector<Cell> out;
  for (const CellInfo& info : kCells) out.push_back(info.cell);
  return out;
}

}  // namespace recur
