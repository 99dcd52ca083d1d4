#pragma once
// Line charts written as PNG (OpenCV drawing): loss curves, hydrographs.
//
//   LinePlot p{.title = "validation loss", .x_label = "epoch", .y_label = "BCE"};
//   p.series.push_back({"sgd", epochs, losses});
//   write_line_plot("curves.png", p);
#include <string>
#include <vector>

namespace tessera {

struct LineSeries {
  std::string name{};
  std::vector<double> x{}, y{};  // equal lengths; NaN y values leave a gap
};

struct LinePlot {
  std::string title{}, x_label{}, y_label{};
  std::vector<LineSeries> series{};
  std::vector<double> h_lines{};  // horizontal reference lines (a target), dashed
  bool log_y = false;             // logarithmic y axis (all y values must be > 0)
  int width = 900, height = 560;
};

// Writes the chart (atomically); throws when a series is malformed or the file cannot be written.
void write_line_plot(const std::string& path, const LinePlot& plot);

}  // namespace tessera
