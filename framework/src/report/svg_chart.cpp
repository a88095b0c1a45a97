// SVG rendering of the report's charts (see svg_chart.h).
#include "report/svg_chart.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace remix::report {

namespace {

constexpr double kWidth = 640, kHeight = 320, kLeft = 64, kRight = 150, kTop = 34, kBottom = 46;

struct Frame {
  double x0, x1, y0, y1;  // data ranges
  double px(double x) const { return kLeft + (x - x0) / (x1 - x0) * (kWidth - kLeft - kRight); }
  double py(double y) const { return kHeight - kBottom - (y - y0) / (y1 - y0) * (kHeight - kTop - kBottom); }
};

std::string num(double v) {
  if (v != 0 && (std::fabs(v) >= 1e5 || std::fabs(v) < 1e-3)) return fmt::format("{:.2g}", v);
  return fmt::format("{:.4g}", v);
}

std::string open_svg(const std::string& id, const std::string& title, double height = kHeight) {
  return fmt::format(
      "<svg class=\"chart\" id=\"{}\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" viewBox=\"0 0 {} "
      "{}\" font-family=\"sans-serif\" font-size=\"11\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
      "<text x=\"{}\" y=\"20\" font-size=\"14\" font-weight=\"bold\">{}</text>\n",
      escape_xml(id), kWidth, height, kWidth, height, kLeft, escape_xml(title));
}

std::string axes(const Frame& f, const std::string& x_label, const std::string& y_label, bool x_ticks = true) {
  std::string s;
  for (double t : nice_ticks(f.y0, f.y1, 5)) {
    s += fmt::format("<line x1=\"{}\" x2=\"{}\" y1=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"#e5e5e5\"/>", kLeft,
                     kWidth - kRight, f.py(t), f.py(t));
    s += fmt::format("<text x=\"{}\" y=\"{:.1f}\" text-anchor=\"end\">{}</text>\n", kLeft - 6, f.py(t) + 4, num(t));
  }
  if (x_ticks)
    for (double t : nice_ticks(f.x0, f.x1, 6))
      s += fmt::format("<text x=\"{:.1f}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n", f.px(t),
                       kHeight - kBottom + 16, num(t));
  s += fmt::format("<line x1=\"{0}\" x2=\"{0}\" y1=\"{1}\" y2=\"{2}\" stroke=\"#333\"/>", kLeft, kTop, kHeight - kBottom);
  s += fmt::format("<line x1=\"{0}\" x2=\"{1}\" y1=\"{2}\" y2=\"{2}\" stroke=\"#333\"/>\n", kLeft, kWidth - kRight,
                   kHeight - kBottom);
  s += fmt::format("<text x=\"{:.1f}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n", (kLeft + kWidth - kRight) / 2,
                   kHeight - 8, escape_xml(x_label));
  s += fmt::format("<text transform=\"translate(14,{:.1f}) rotate(-90)\" text-anchor=\"middle\">{}</text>\n",
                   (kTop + kHeight - kBottom) / 2, escape_xml(y_label));
  return s;
}

std::string legend_entry(int i, const std::string& label, const char* color, bool dashed, bool marker = false) {
  double y = kTop + 8 + 16 * i;
  if (marker)
    return fmt::format("<circle cx=\"{}\" cy=\"{}\" r=\"4\" fill=\"{}\" fill-opacity=\"0.75\"/><text x=\"{}\" y=\"{}\">{}</text>\n",
                       kWidth - kRight + 20, y, color, kWidth - kRight + 35, y + 4,
                       escape_xml(label.size() > 20 ? label.substr(0, 19) + "…" : label));
  return fmt::format(
      "<line x1=\"{0}\" x2=\"{1}\" y1=\"{2}\" y2=\"{2}\" stroke=\"{3}\" stroke-width=\"2\"{4}/>"
      "<text x=\"{5}\" y=\"{6}\">{7}</text>\n",
      kWidth - kRight + 10, kWidth - kRight + 30, y, color, dashed ? " stroke-dasharray=\"5,3\"" : "",
      kWidth - kRight + 35, y + 4, escape_xml(label.size() > 20 ? label.substr(0, 19) + "…" : label));
}

void widen(double& lo, double& hi) {
  if (!(lo < hi)) {
    double pad = std::fabs(lo) > 0 ? std::fabs(lo) * 0.1 : 1;
    lo -= pad;
    hi += pad;
  }
}

}  // namespace

const char* palette_color(int index) {
  static const char* colors[] = {"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
                                 "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"};
  return colors[((index % 10) + 10) % 10];
}

std::string escape_xml(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::vector<double> nice_ticks(double lo, double hi, int count) {
  if (!(hi > lo) || count < 1) return {lo};
  double raw = (hi - lo) / count, mag = std::pow(10.0, std::floor(std::log10(raw)));
  double step = mag;
  for (double m : {1.0, 2.0, 2.5, 5.0, 10.0})
    if (m * mag >= raw) {
      step = m * mag;
      break;
    }
  std::vector<double> ticks;
  for (double t = std::ceil(lo / step - 1e-9) * step; t <= hi + step * 1e-9; t += step) ticks.push_back(std::fabs(t) < step * 1e-9 ? 0 : t);
  return ticks;
}

std::string render_svg(const LineChart& c) {
  double inf = std::numeric_limits<double>::infinity();
  Frame f{inf, -inf, inf, -inf};
  for (const auto& s : c.series)
    for (std::size_t i = 0; i < s.x.size(); ++i)
      if (std::isfinite(s.y[i])) {
        f.x0 = std::min(f.x0, s.x[i]), f.x1 = std::max(f.x1, s.x[i]);
        f.y0 = std::min(f.y0, s.y[i]), f.y1 = std::max(f.y1, s.y[i]);
      }
  std::string svg = open_svg(c.id, c.title);
  if (!std::isfinite(f.x0)) return svg + "<text x=\"200\" y=\"160\">no data recorded</text></svg>\n";
  widen(f.x0, f.x1);
  widen(f.y0, f.y1);
  double pad = (f.y1 - f.y0) * 0.05;
  f.y0 -= pad, f.y1 += pad;
  svg += axes(f, c.x_label, c.y_label);
  for (std::size_t k = 0; k < c.series.size(); ++k) {
    const auto& s = c.series[k];
    if (s.markers) {
      for (std::size_t i = 0; i < s.x.size(); ++i)
        if (std::isfinite(s.y[i]))
          svg += fmt::format("<circle class=\"point\" cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"4\" fill=\"{}\" fill-opacity=\"0.75\"/>\n",
                             f.px(s.x[i]), f.py(s.y[i]), palette_color(s.color));
      svg += legend_entry(static_cast<int>(k), s.label, palette_color(s.color), false, true);
      continue;
    }
    std::string points;
    for (std::size_t i = 0; i < s.x.size(); ++i)
      if (std::isfinite(s.y[i])) points += fmt::format("{:.1f},{:.1f} ", f.px(s.x[i]), f.py(s.y[i]));
    svg += fmt::format("<polyline class=\"series\" fill=\"none\" stroke=\"{}\" stroke-width=\"1.8\"{} points=\"{}\"/>\n",
                       palette_color(s.color), s.dashed ? " stroke-dasharray=\"5,3\"" : "", points);
    svg += legend_entry(static_cast<int>(k), s.label, palette_color(s.color), s.dashed);
  }
  return svg + "</svg>\n";
}

std::string render_svg(const BarChart& c) {
  double hi = -std::numeric_limits<double>::infinity(), lo = 0;
  for (const auto& g : c.groups)
    for (std::size_t b = 0; b < g.mean.size(); ++b)
      if (std::isfinite(g.mean[b])) {
        double e = std::isfinite(g.err[b]) ? g.err[b] : 0;
        hi = std::max(hi, g.mean[b] + e);
        lo = std::min(lo, g.mean[b] - e);
      }
  std::string svg = open_svg(c.id, c.title);
  if (!std::isfinite(hi)) return svg + "<text x=\"200\" y=\"160\">no data recorded</text></svg>\n";
  Frame f{0, static_cast<double>(c.groups.size()), lo, hi};
  widen(f.y0, f.y1);
  f.y1 += (f.y1 - f.y0) * 0.05;
  svg += axes(f, "", c.y_label, false);
  double group_w = (kWidth - kLeft - kRight) / std::max<std::size_t>(1, c.groups.size());
  double bar_w = group_w * 0.8 / std::max<std::size_t>(1, c.bar_labels.size());
  for (std::size_t g = 0; g < c.groups.size(); ++g) {
    double gx = kLeft + g * group_w + group_w * 0.1;
    svg += fmt::format("<text x=\"{:.1f}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n", gx + group_w * 0.4,
                       kHeight - kBottom + 16, escape_xml(c.groups[g].label));
    for (std::size_t b = 0; b < c.groups[g].mean.size(); ++b) {
      double m = c.groups[g].mean[b], e = c.groups[g].err[b];
      if (!std::isfinite(m)) continue;
      double x = gx + b * bar_w, top = f.py(std::max(m, 0.0)), base = f.py(std::min(m, 0.0));
      svg += fmt::format("<rect class=\"bar\" x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" fill=\"{}\"/>",
                         x, top, bar_w * 0.9, std::max(0.5, base - top), palette_color(static_cast<int>(b)));
      if (std::isfinite(e) && e > 0) {
        double cx = x + bar_w * 0.45;
        svg += fmt::format("<line x1=\"{0:.1f}\" x2=\"{0:.1f}\" y1=\"{1:.1f}\" y2=\"{2:.1f}\" stroke=\"#222\"/>"
                           "<line x1=\"{3:.1f}\" x2=\"{4:.1f}\" y1=\"{1:.1f}\" y2=\"{1:.1f}\" stroke=\"#222\"/>"
                           "<line x1=\"{3:.1f}\" x2=\"{4:.1f}\" y1=\"{2:.1f}\" y2=\"{2:.1f}\" stroke=\"#222\"/>",
                           cx, f.py(m + e), f.py(m - e), cx - 4, cx + 4);
      }
      svg += "\n";
    }
  }
  for (std::size_t b = 0; b < c.bar_labels.size(); ++b)
    svg += legend_entry(static_cast<int>(b), c.bar_labels[b], palette_color(static_cast<int>(b)), false);
  return svg + "</svg>\n";
}

std::string render_svg(const HeatMap& c) {
  double cell_h = 18, label_w = 110, top = 40;
  double height = top + cell_h * static_cast<double>(c.rows.size()) + 50;
  std::string svg = open_svg(c.id, c.title, std::max(120.0, height));
  double hi = 0;
  for (const auto& r : c.values)
    for (double v : r)
      if (std::isfinite(v)) hi = std::max(hi, v);
  if (c.rows.empty() || hi <= 0) return svg + "<text x=\"200\" y=\"80\">no data recorded</text></svg>\n";
  double cell_w = std::min(48.0, (kWidth - label_w - 20) / std::max<std::size_t>(1, c.cols.size()));
  for (std::size_t j = 0; j < c.cols.size(); ++j)
    svg += fmt::format("<text x=\"{:.1f}\" y=\"{}\" text-anchor=\"middle\">{}</text>", label_w + (j + 0.5) * cell_w,
                       top - 4, escape_xml(c.cols[j]));
  for (std::size_t i = 0; i < c.rows.size(); ++i) {
    double y = top + i * cell_h;
    svg += fmt::format("\n<text x=\"{}\" y=\"{:.1f}\" text-anchor=\"end\">{}</text>", label_w - 6, y + cell_h * 0.7,
                       escape_xml(c.rows[i]));
    for (std::size_t j = 0; j < c.cols.size(); ++j) {
      double v = j < c.values[i].size() ? c.values[i][j] : std::nan("");
      // White (0) to dark blue (the largest share in the map); grey where nothing was recorded.
      std::string fill = "#dddddd";
      if (std::isfinite(v)) {
        double t = std::clamp(v / hi, 0.0, 1.0);
        fill = fmt::format("rgb({},{},{})", static_cast<int>(255 - t * 225), static_cast<int>(255 - t * 170),
                           static_cast<int>(255 - t * 75));
      }
      svg += fmt::format("<rect class=\"cell\" x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" fill=\"{}\">"
                         "<title>{} / {}: {}</title></rect>",
                         label_w + j * cell_w, y, cell_w - 1, cell_h - 1, fill, escape_xml(c.rows[i]),
                         escape_xml(c.cols[j]), std::isfinite(v) ? num(v) : "no data");
    }
  }
  svg += fmt::format("\n<text x=\"{}\" y=\"{:.1f}\">{} (colour: share of selections, darkest = {})</text>\n", label_w,
                     top + c.rows.size() * cell_h + 20, escape_xml(c.col_label), num(hi));
  return svg + "</svg>\n";
}

std::string render_svg(const IntervalChart& c) {
  const double row_h = 22, label_w = 230, top = 40, bottom = 42, right = 30;
  const double height = top + row_h * static_cast<double>(c.rows.size()) + bottom;
  std::string svg = open_svg(c.id, c.title, std::max(110.0, height));
  double lo = 0, hi = 0;  // zero always in view
  for (const auto& r : c.rows) lo = std::min(lo, r.low), hi = std::max(hi, r.high);
  if (hi - lo <= 0) hi = lo + 1;
  const auto ticks = nice_ticks(lo, hi, 5);
  lo = std::min(lo, ticks.front()), hi = std::max(hi, ticks.back());
  auto px = [&](double v) { return label_w + (v - lo) / (hi - lo) * (kWidth - label_w - right); };
  const double y_end = top + row_h * static_cast<double>(c.rows.size());
  for (double t : ticks)
    svg += fmt::format("<line x1=\"{0:.1f}\" x2=\"{0:.1f}\" y1=\"{1}\" y2=\"{2}\" stroke=\"{3}\"/><text x=\"{0:.1f}\" "
                       "y=\"{4}\" text-anchor=\"middle\">{5}</text>\n",
                       px(t), top - 6, y_end, t == 0 ? "#888" : "#e5e5e5", y_end + 14, num(t));
  svg += fmt::format("<text x=\"{:.1f}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n", px((lo + hi) / 2), y_end + 32,
                     escape_xml(c.x_label));
  for (std::size_t i = 0; i < c.rows.size(); ++i) {
    const auto& r = c.rows[i];
    const double y = top + row_h * (static_cast<double>(i) + 0.5);
    const char* color = palette_color(0);
    svg += fmt::format("<text x=\"{}\" y=\"{:.1f}\" text-anchor=\"end\">{}</text>", label_w - 8, y + 4,
                       escape_xml(r.label));
    svg += fmt::format("<line x1=\"{:.1f}\" x2=\"{:.1f}\" y1=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"{}\" "
                       "stroke-width=\"2\"/>",
                       px(r.low), px(r.high), y, y, color);
    svg += fmt::format("<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"4\" fill=\"{}\" stroke=\"{}\"/>\n", px(r.mean), y,
                       r.marked ? color : "white", color);
  }
  return svg + "</svg>\n";
}

}  // namespace remix::report
