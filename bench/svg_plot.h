// An SVG line plot of the results: GFLOP/s over H (log2 axis) at one fixed batch size B and
// step count T, for the single-layer unidirectional rows with I = H; one line per backend,
// cell and mode (dashed: training). Hand-written SVG, no dependencies.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "row.h"

namespace recur::bench {

struct SvgOptions {
  int64_t batch = 0;  // B to plot; 0: the (B, T) with the most H values among the rows
  int64_t steps = 0;  // T to plot; 0: chosen with B
};

// The whole SVG document. `note` gets one line saying what was plotted (or why nothing was).
std::string svg_plot(const std::vector<Row>& rows, const SvgOptions& options, std::string* note);

}  // namespace recur::bench
