#include "svg.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "recur/error.h"
#include "recur/safetensors.h"

namespace recur::cli {

std::string svg_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

namespace {

// Round-number ticks (1, 2 or 5 times a power of ten) covering [lo, hi], about `target` of them.
std::vector<double> linear_ticks(double lo, double hi, int target) {
  const double raw = (hi - lo) / target;
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double step = mag;
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (m * mag >= raw) {
      step = m * mag;
      break;
    }
  std::vector<double> ticks;
  for (double t = std::ceil(lo / step) * step; t <= hi + step * 1e-9; t += step)
    ticks.push_back(std::abs(t) < step * 1e-9 ? 0.0 : t);
  return ticks;
}

// Ticks for a log10 axis spanning [lo, hi] (in decades): 1, 2 and 5 times each power of ten
// when the span is short, otherwise every k-th decade, about ten in all.
std::vector<double> log_ticks(double lo, double hi) {
  std::vector<double> ticks;
  if (hi - lo <= 3) {
    for (double e = std::floor(lo); e <= hi; ++e)
      for (double m : {1.0, 2.0, 5.0}) ticks.push_back(e + std::log10(m));
  } else {
    const double step = std::ceil((hi - lo) / 10);
    for (double e = std::ceil(lo / step) * step; e <= hi; e += step) ticks.push_back(e);
  }
  return ticks;
}

std::string tick_label(double v) {
  return fmt::format("{:g}", v);
}

}  // namespace

std::string line_plot_svg(const std::vector<PlotSeries>& series, const PlotOptions& o) {
  const auto usable = [&](double x, double y) {
    return std::isfinite(x) && std::isfinite(y) && (!o.log_y || y > 0);
  };
  double x0 = std::numeric_limits<double>::infinity(), x1 = -x0, y0 = x0, y1 = -x0;
  for (const PlotSeries& s : series) {
    RECUR_CHECK(s.x.size() == s.y.size(), "plot series '{}': {} x values for {} y values", s.name,
                s.x.size(), s.y.size());
    for (size_t i = 0; i < s.x.size(); ++i) {
      if (!usable(s.x[i], s.y[i])) continue;
      const double y = o.log_y ? std::log10(s.y[i]) : s.y[i];
      x0 = std::min(x0, s.x[i]), x1 = std::max(x1, s.x[i]);
      y0 = std::min(y0, y), y1 = std::max(y1, y);
    }
  }
  if (!(x0 <= x1)) x0 = 0, x1 = 1, y0 = 0, y1 = 1;  // nothing to draw: empty axes
  if (x1 == x0) x0 -= 0.5, x1 += 0.5;
  if (y1 == y0) y0 -= 0.5, y1 += 0.5;
  const double pad = 0.05 * (y1 - y0);
  y0 -= pad, y1 += pad;

  const double left = 80, right = 170, top = 40, bottom = 55;
  const double pw = o.width - left - right, ph = o.height - top - bottom;
  const auto px = [&](double x) { return left + (x - x0) / (x1 - x0) * pw; };
  const auto py = [&](double y) { return top + (1.0 - (y - y0) / (y1 - y0)) * ph; };

  std::string svg = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" viewBox=\"0 0 {0} "
      "{1}\" font-family=\"sans-serif\" font-size=\"12\">\n"
      "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n",
      o.width, o.height);
  svg += fmt::format("<text x=\"{}\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">{}</text>\n",
                     left + pw / 2, svg_escape(o.title));

  // Grid and tick labels.
  const std::vector<double> yticks = o.log_y ? log_ticks(y0, y1) : linear_ticks(y0, y1, 6);
  for (double t : yticks) {
    if (t < y0 || t > y1) continue;
    const std::string label = o.log_y ? tick_label(std::pow(10.0, t)) : tick_label(t);
    svg += fmt::format(
        "<line x1=\"{0}\" x2=\"{1}\" y1=\"{2:.1f}\" y2=\"{2:.1f}\" stroke=\"#ddd\"/>\n"
        "<text x=\"{3}\" y=\"{4:.1f}\" text-anchor=\"end\">{5}</text>\n",
        left, left + pw, py(t), left - 6, py(t) + 4, label);
  }
  for (double t : linear_ticks(x0, x1, 8)) {
    if (t < x0 || t > x1) continue;
    svg += fmt::format(
        "<line x1=\"{0:.1f}\" x2=\"{0:.1f}\" y1=\"{1}\" y2=\"{2}\" stroke=\"#ddd\"/>\n"
        "<text x=\"{0:.1f}\" y=\"{3}\" text-anchor=\"middle\">{4}</text>\n",
        px(t), top, top + ph, top + ph + 16, tick_label(t));
  }
  svg += fmt::format(
      "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" "
      "stroke=\"#333\"/>\n",
      left, top, pw, ph);
  svg += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n", left + pw / 2,
                     o.height - 12, svg_escape(o.x_label));
  svg += fmt::format(
      "<text x=\"18\" y=\"{0}\" text-anchor=\"middle\" transform=\"rotate(-90 18 {0})\">{1}"
      "</text>\n",
      top + ph / 2, svg_escape(o.y_label));

  // One polyline per unbroken run of usable points.
  for (size_t k = 0; k < series.size(); ++k) {
    const PlotSeries& s = series[k];
    const std::string style = fmt::format("fill=\"none\" stroke=\"{}\" stroke-width=\"1.6\"{}",
                                          s.color, s.dashed ? " stroke-dasharray=\"6 4\"" : "");
    std::string points;
    const auto flush = [&]() {
      if (!points.empty()) svg += fmt::format("<polyline {} points=\"{}\"/>\n", style, points);
      points.clear();
    };
    for (size_t i = 0; i < s.x.size(); ++i) {
      if (!usable(s.x[i], s.y[i])) {
        flush();
        continue;
      }
      const double y = o.log_y ? std::log10(s.y[i]) : s.y[i];
      points += fmt::format("{}{:.1f},{:.1f}", points.empty() ? "" : " ", px(s.x[i]), py(y));
    }
    flush();
    const double ly = top + 14 + 20.0 * static_cast<double>(k);
    svg += fmt::format(
        "<line x1=\"{0}\" x2=\"{1}\" y1=\"{2}\" y2=\"{2}\" {3}/>\n"
        "<text x=\"{4}\" y=\"{5}\">{6}</text>\n",
        left + pw + 12, left + pw + 40, ly, style, left + pw + 46, ly + 4, svg_escape(s.name));
  }
  svg += "</svg>\n";
  return svg;
}

void write_line_plot(const std::string& path, const std::vector<PlotSeries>& series,
                     const PlotOptions& options) {
  const std::string svg = line_plot_svg(series, options);
  write_file_atomic(path, svg.data(), svg.size());
}

}  // namespace recur::cli
