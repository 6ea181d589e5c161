#include "svg_plot.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <utility>

#include <fmt/format.h>

#include "apps/recur/svg.h"

namespace recur::bench {

namespace {

constexpr double kWidth = 960, kHeight = 540;
constexpr double kLeft = 80, kRight = 250, kTop = 50, kBottom = 70;
const char* const kColors[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
                               "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"};

bool plottable(const Row& r) {
  return r.ok() && r.c.L == 1 && !r.c.bidirectional && r.c.I == r.c.H && std::isfinite(r.gflops());
}

// The (B, T) with the most distinct H among plottable rows; ties go to the larger B, then T.
std::pair<int64_t, int64_t> choose_bt(const std::vector<Row>& rows, const SvgOptions& o) {
  std::map<std::pair<int64_t, int64_t>, std::set<int64_t>> hs;
  for (const Row& r : rows) {
    if (!plottable(r)) continue;
    if (o.batch && r.c.B != o.batch) continue;
    if (o.steps && r.c.T != o.steps) continue;
    hs[{r.c.B, r.c.T}].insert(r.c.H);
  }
  std::pair<int64_t, int64_t> best{0, 0};
  size_t most = 0;
  for (const auto& [bt, set] : hs) {
    if (set.size() >= most) {  // map order is ascending, so >= prefers the larger B, T
      most = set.size();
      best = bt;
    }
  }
  return best;
}

// A "nice" tick step (1, 2 or 5 times a power of ten) giving about five ticks up to `top`.
double tick_step(double top) {
  const double raw = top / 5;
  const double p = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0})
    if (m * p >= raw) return m * p;
  return 10 * p;
}

std::string text(double x, double y, const std::string& s, const char* anchor = "middle",
                 int size = 13) {
  return fmt::format(
      "<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"{}\" font-size=\"{}\">{}</text>\n", x, y,
      anchor, size, cli::svg_escape(s));
}

}  // namespace

std::string svg_plot(const std::vector<Row>& rows, const SvgOptions& options, std::string* note) {
  const auto [B, T] = choose_bt(rows, options);
  // series name -> H -> GFLOP/s
  std::map<std::string, std::map<int64_t, double>> series;
  std::string dtype;
  for (const Row& r : rows) {
    if (!plottable(r) || r.c.B != B || r.c.T != T) continue;
    series[fmt::format("{} {} {}", r.backend, cell_name(r.c.cell), mode_name(r.c.mode))][r.c.H] =
        r.gflops();
    dtype = dtype_name(r.dtype);
  }

  std::string svg = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" viewBox=\"0 0 {0} "
      "{1}\" font-family=\"sans-serif\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n",
      kWidth, kHeight);
  if (series.empty()) {
    if (note) *note = "nothing to plot: no successful single-layer, unidirectional rows with I = H";
    return svg + text(kWidth / 2, kHeight / 2, "recur_bench: no rows to plot") + "</svg>\n";
  }

  double h_min = 1e300, h_max = 0, y_max = 0;
  for (const auto& [name, points] : series)
    for (const auto& [h, g] : points) {
      h_min = std::min(h_min, std::log2(static_cast<double>(h)));
      h_max = std::max(h_max, std::log2(static_cast<double>(h)));
      y_max = std::max(y_max, g);
    }
  // A margin so that the first and last points sit inside the frame.
  const double margin = std::max(0.25, 0.05 * (h_max - h_min));
  h_min -= margin;
  h_max += margin;
  const double step = tick_step(y_max > 0 ? y_max * 1.05 : 1.0);
  const double y_top = std::ceil(std::max(y_max * 1.05, step) / step) * step;
  const double pw = kWidth - kLeft - kRight, ph = kHeight - kTop - kBottom;
  const auto px = [&](int64_t h) {
    return kLeft + (std::log2(static_cast<double>(h)) - h_min) / (h_max - h_min) * pw;
  };
  const auto py = [&](double g) { return kTop + ph - g / y_top * ph; };

  svg +=
      text(kLeft + pw / 2, 28,
           fmt::format("recur_bench: GFLOP/s over H (B={}, T={}, I=H, 1 layer, {})", B, T, dtype),
           "middle", 16);
  svg += fmt::format(
      "<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" fill=\"none\" "
      "stroke=\"#333\"/>\n",
      kLeft, kTop, pw, ph);
  for (double y = 0; y <= y_top + step / 2; y += step) {
    svg += fmt::format(
        "<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"#ddd\"/>\n", kLeft,
        py(y), kLeft + pw, py(y));
    svg += text(kLeft - 8, py(y) + 4, fmt::format("{:g}", y), "end");
  }
  std::set<int64_t> hs;
  for (const auto& [name, points] : series)
    for (const auto& [h, g] : points) hs.insert(h);
  for (int64_t h : hs) svg += text(px(h), kTop + ph + 20, std::to_string(h));
  svg += text(kLeft + pw / 2, kHeight - 20, "hidden size H (log scale)");
  svg += fmt::format(
      "<text x=\"20\" y=\"{:.1f}\" text-anchor=\"middle\" font-size=\"13\" "
      "transform=\"rotate(-90 20 {:.1f})\">GFLOP/s</text>\n",
      kTop + ph / 2, kTop + ph / 2);

  // One color per backend and cell; its training line is dashed.
  std::map<std::string, size_t> colors;
  size_t index = 0;
  for (const auto& [name, points] : series) {
    const std::string backend_cell = name.substr(0, name.rfind(' '));
    const size_t color_index = colors.emplace(backend_cell, colors.size()).first->second;
    const char* color = kColors[color_index % (sizeof(kColors) / sizeof(kColors[0]))];
    const bool training = name.find("training") != std::string::npos;
    const char* dash = training ? " stroke-dasharray=\"6 4\"" : "";
    std::string path;
    for (const auto& [h, g] : points) path += fmt::format("{:.1f},{:.1f} ", px(h), py(g));
    svg +=
        fmt::format("<polyline points=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"2\"{}/>\n",
                    path, color, dash);
    for (const auto& [h, g] : points)
      svg += fmt::format("<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"3\" fill=\"{}\"/>\n", px(h),
                         py(g), color);
    const double ly = kTop + 10 + 20 * static_cast<double>(index);
    svg += fmt::format(
        "<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"{}\" "
        "stroke-width=\"2\"{}/>\n",
        kLeft + pw + 15, ly, kLeft + pw + 45, ly, color, dash);
    svg += text(kLeft + pw + 52, ly + 4, name, "start", 12);
    ++index;
  }
  if (note)
    *note = fmt::format("plotted {} series at B={}, T={} (choose with --svg-batch/--svg-steps)",
                        series.size(), B, T);
  return svg + "</svg>\n";
}

}  // namespace recur::bench
