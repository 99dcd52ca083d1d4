#include "tessera/formats/line_plot.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <stdexcept>

#include <opencv2/imgproc.hpp>

#include "tessera/formats/png.hpp"

namespace tessera {

namespace {

// Distinct colours (red, green, blue: the picture is drawn in RGB order) for up to eight
// series, then repeated.
const cv::Scalar kColours[] = {{31, 119, 180},  {255, 127, 14}, {44, 160, 44},   {214, 39, 40},
                               {148, 103, 189}, {140, 86, 75},  {227, 119, 194}, {127, 127, 127}};

struct Range {
  double lo = INFINITY, hi = -INFINITY;
  void add(double v) {
    if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
  }
};

// Tick values from lo to hi at a round step (1, 2 or 5 times a power of ten), about n of them;
// the range is widened to the ticks around it.
std::vector<double> nice_ticks(Range& r, int n) {
  if (!(r.lo <= r.hi)) r.lo = 0, r.hi = 1;
  if (r.hi - r.lo < 1e-12) r.lo -= 0.5, r.hi += 0.5;
  const double raw = (r.hi - r.lo) / n, mag = std::pow(10.0, std::floor(std::log10(raw)));
  const double step = raw / mag < 1.5   ? mag
                      : raw / mag < 3.5 ? 2 * mag
                      : raw / mag < 7.5 ? 5 * mag
                                        : 10 * mag;
  r.lo = std::floor(r.lo / step) * step;
  r.hi = std::ceil(r.hi / step) * step;
  std::vector<double> ticks;
  for (double t = r.lo; t <= r.hi + step * 1e-9; t += step)
    ticks.push_back(std::abs(t) < step * 1e-9 ? 0 : t);
  return ticks;
}

std::string label(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g", v);
  return buf;
}

void text(cv::Mat& img, const std::string& s, cv::Point at, double scale = 0.45) {
  cv::putText(img, s, at, cv::FONT_HERSHEY_SIMPLEX, scale, {40, 40, 40}, 1, cv::LINE_AA);
}

}  // namespace

void write_line_plot(const std::string& path, const LinePlot& plot) {
  Range xr, yr;
  auto ty = [&](double y) { return plot.log_y ? std::log10(y) : y; };
  for (const LineSeries& s : plot.series) {
    if (s.x.size() != s.y.size())
      throw std::invalid_argument("plot series '" + s.name + "' has " + std::to_string(s.x.size()) +
                                  " x values and " + std::to_string(s.y.size()) + " y values");
    for (double v : s.x) xr.add(v);
    for (double v : s.y) {
      if (plot.log_y && v <= 0)
        throw std::invalid_argument("plot series '" + s.name + "' has y <= 0 on a log axis");
      yr.add(ty(v));
    }
  }
  for (double v : plot.h_lines) yr.add(ty(v));
  const std::vector<double> xt = nice_ticks(xr, 6), yt = nice_ticks(yr, 6);

  cv::Mat img(plot.height, plot.width, CV_8UC3, cv::Scalar(255, 255, 255));
  const int left = 70, right = 20, top = 55, bottom = 50;
  const int w = plot.width - left - right, h = plot.height - top - bottom;
  // y in axis units (log10 on a log axis).
  auto to_px = [&](double x, double y) {
    return cv::Point(left + int(std::lround((x - xr.lo) / (xr.hi - xr.lo) * w)),
                     top + int(std::lround((yr.hi - y) / (yr.hi - yr.lo) * h)));
  };
  cv::rectangle(img, {left, top}, {left + w, top + h}, {0, 0, 0}, 1);
  for (double fx : xt) {  // ticks and grid
    const int x = to_px(fx, yr.lo).x;
    cv::line(img, {x, top}, {x, top + h}, {230, 230, 230}, 1);
    text(img, label(fx), {x - 8, top + h + 18});
  }
  for (double fy : yt) {
    const int y = to_px(xr.lo, fy).y;
    cv::line(img, {left, y}, {left + w, y}, {230, 230, 230}, 1);
    text(img, label(plot.log_y ? std::pow(10.0, fy) : fy), {5, y + 5});
  }
  for (double v : plot.h_lines) {  // dashed
    const cv::Point a = to_px(xr.lo, ty(v));
    for (int x = left; x < left + w; x += 12)
      cv::line(img, {x, a.y}, {std::min(x + 6, left + w), a.y}, {90, 90, 90}, 1);
  }
  for (size_t k = 0; k < plot.series.size(); ++k) {
    const LineSeries& s = plot.series[k];
    const cv::Scalar c = kColours[k % 8];
    for (size_t i = 1; i < s.x.size(); ++i)
      if (std::isfinite(s.y[i - 1]) && std::isfinite(s.y[i]))
        cv::line(img, to_px(s.x[i - 1], ty(s.y[i - 1])), to_px(s.x[i], ty(s.y[i])), c, 2,
                 cv::LINE_AA);
    const int ly = top + 18 + 20 * int(k);  // legend, top right
    cv::line(img, {left + w - 150, ly - 4}, {left + w - 120, ly - 4}, c, 2, cv::LINE_AA);
    text(img, s.name, {left + w - 112, ly});
  }
  text(img, plot.title, {left, 22}, 0.6);
  text(img, plot.x_label, {left + w / 2 - 20, plot.height - 10});
  text(img, plot.y_label + (plot.log_y ? " (log scale)" : ""), {5, top - 10});

  write_rgb_png(path, img.cols, img.rows, std::vector<uint8_t>(img.datastart, img.dataend));
}

}  // namespace tessera
