// The named size grids of recur_bench and their default backends and timing.
//
//   quick  a few small shapes of every selected cell, both modes; a smoke test (CI)
//   cpu    issue 3's CPU targets, a moderate sweep and DeepBench's LSTM points (H <= 1024),
//          and variable-length batches (LSTM, GRU; timed against the same batch padded)
//   gpu    a GPU-sized sweep plus DeepBench's LSTM points, the seed model and variable-length
//          batches
//   full   DESIGN.md's grid: H x B x T, DeepBench's LSTM points and the seed model
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "bench_case.h"
#include "timing.h"

namespace recur::bench {

struct Grid {
  std::string name;
  std::vector<BenchCase> cases;       // in run order, no duplicates
  std::vector<std::string> backends;  // the backends run when --backends is not given
  TimingOptions timing;               // the timing used when the flags do not say otherwise
  std::vector<Cell> cells;            // the cells the sweeps used
};

const std::vector<std::string>& grid_names();

// `cells`: the cells to sweep (and to keep among the grid's fixed targets); the grid's own
// default when empty. `modes`: when set, every shape runs in exactly these modes instead of the
// grid's choice. Throws recur::Error for an unknown grid name.
Grid make_grid(const std::string& name, const std::vector<Cell>& cells,
               const std::optional<std::vector<Mode>>& modes);

// The grid of `--shape` flags, each
// "CELL,H,I,B,T[,LAYERS[,uni|bi[,inference|training[,uniform|one-long]]]]" (defaults 1 layer,
// uni, inference, padded; the last field makes it a variable-length batch, bench_case.h's
// Ragged; `modes`, when set, replaces each shape's mode). Throws recur::Error naming a
// malformed field.
Grid make_shape_grid(const std::vector<std::string>& shapes,
                     const std::optional<std::vector<Mode>>& modes);

}  // namespace recur::bench
