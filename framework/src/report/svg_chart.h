// Charts as inline SVG text for the HTML report: line charts (series of (x, y) points, solid, dashed or markers),
// bar charts with error bars, heat maps, and interval (forest) charts. Pure functions of their data; no scripts, no external files.
#pragma once

#include <string>
#include <vector>

namespace remix::report {

struct Series {
  std::string label;
  std::vector<double> x, y;
  bool dashed = false;
  bool markers = false;  // points as unconnected markers (a scatter plot) instead of a line
  int color = 0;         // index into the palette
};

struct LineChart {
  std::string id, title, x_label, y_label;
  std::vector<Series> series;
};

struct BarGroup {  // one cluster of bars (e.g. one task), one bar per series
  std::string label;
  std::vector<double> mean, err;  // per bar; NaN mean = no bar (missing)
};
struct BarChart {
  std::string id, title, y_label;
  std::vector<std::string> bar_labels;  // legend, one per bar in a group
  std::vector<BarGroup> groups;
};

struct HeatMap {
  std::string id, title, row_label, col_label;
  std::vector<std::string> rows, cols;
  std::vector<std::vector<double>> values;  // [row][col]; NaN = no data
};

struct IntervalRow {  // one estimate with its interval, e.g. a paired difference
  std::string label;
  double mean = 0, low = 0, high = 0;
  bool marked = false;  // drawn filled (e.g. the interval excludes zero)
};
struct IntervalChart {  // one row per estimate, a vertical line at zero
  std::string id, title, x_label;
  std::vector<IntervalRow> rows;
};

std::string render_svg(const LineChart& chart);
std::string render_svg(const IntervalChart& chart);
std::string render_svg(const BarChart& chart);
std::string render_svg(const HeatMap& chart);

// Round tick values covering [lo, hi] (about `count` of them).
std::vector<double> nice_ticks(double lo, double hi, int count);
const char* palette_color(int index);
std::string escape_xml(const std::string& s);

}  // namespace remix::report
