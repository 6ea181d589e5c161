// Line plots as hand-written SVG (no plotting library): axes with round-number ticks (decades
// on a log scale), one polyline per series, a legend. Points that are not finite (or not
// positive on a log scale) break the line instead of distorting the axes.
#pragma once

#include <string>
#include <vector>

namespace recur::cli {

struct PlotSeries {
  std::string name;
  std::vector<double> x, y;  // same length
  std::string color;         // any SVG colour, e.g. "#1f77b4"
  bool dashed = false;
};

struct PlotOptions {
  std::string title, x_label, y_label;
  bool log_y = false;
  int width = 900, height = 480;
};

// `s` as SVG text: &, <, > and " escaped.
std::string svg_escape(const std::string& s);

// The SVG document.
std::string line_plot_svg(const std::vector<PlotSeries>& series, const PlotOptions& options);
// Writes it atomically to `path`.
void write_line_plot(const std::string& path, const std::vector<PlotSeries>& series,
                     const PlotOptions& options);

}  // namespace recur::cli
