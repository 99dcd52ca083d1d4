#include "tessera/ecology/threshold_detector.hpp"

#include <stdexcept>

#include <opencv2/imgproc.hpp>

namespace tessera::ecology {

namespace {

// Where the trap is: yellow pixels (red and green high, blue low), closed so the insects on it
// count as trap too. Photographs show the bench around the trap, whose dirt is no catch.
cv::Mat trap_mask(const std::vector<cv::Mat>& bgr) {
  cv::Mat red_green, blue10, red_green6;
  cv::min(bgr[1], bgr[2], red_green);
  bgr[0].convertTo(blue10, CV_16S, 10);
  red_green.convertTo(red_green6, CV_16S, 6);
  cv::Mat yellow = (red_green > 110) & (blue10 < red_green6);  // blue below 0.6 of red, green
  const cv::Mat kernel = cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(41, 41));
  cv::morphologyEx(yellow, yellow, cv::MORPH_CLOSE, kernel);
  return yellow;
}

}  // namespace

std::vector<Annotation> threshold_detections(const cv::Mat& bgr, int64_t image_id,
                                             const ThresholdOptions& o) {
  if (bgr.empty() || bgr.type() != CV_8UC3)
    throw std::invalid_argument("threshold detector: needs an 8-bit colour image");
  std::vector<cv::Mat> channels;
  cv::split(bgr, channels);
  cv::Mat darkness;
  cv::max(channels[1], channels[2], darkness);  // green, red
  darkness = 255 - darkness;
  const cv::Mat trap = trap_mask(channels);
  cv::Mat mask;
  // Otsu over the trap only: the bench around it would set the threshold otherwise.
  std::vector<uchar> values;
  for (int y = 0; y < darkness.rows; ++y)
    for (int x = 0; x < darkness.cols; ++x)
      if (trap.at<uchar>(y, x)) values.push_back(darkness.at<uchar>(y, x));
  if (values.empty()) return {};
  cv::Mat unused;
  const double t =
      cv::threshold(cv::Mat(values), unused, 0, 255, cv::THRESH_BINARY | cv::THRESH_OTSU);
  mask = (darkness > t) & trap;
  const cv::Mat kernel = cv::getStructuringElement(
      cv::MORPH_ELLIPSE, cv::Size(2 * o.open_radius + 1, 2 * o.open_radius + 1));
  cv::morphologyEx(mask, mask, cv::MORPH_OPEN, kernel);
  cv::Mat labels, stats, centroids;
  const int n = cv::connectedComponentsWithStats(mask, labels, stats, centroids, 8, CV_32S);
  const double max_area = o.max_area_fraction * double(bgr.total());
  std::vector<Annotation> out;
  for (int i = 1; i < n; ++i) {  // 0 is the background
    const double area = stats.at<int>(i, cv::CC_STAT_AREA);
    if (area < o.min_area || area > max_area) continue;
    const cv::Rect r(stats.at<int>(i, cv::CC_STAT_LEFT), stats.at<int>(i, cv::CC_STAT_TOP),
                     stats.at<int>(i, cv::CC_STAT_WIDTH), stats.at<int>(i, cv::CC_STAT_HEIGHT));
    const double dark = cv::mean(darkness(r), labels(r) == i)[0] / 255.0;
    out.push_back({image_id,
                   o.category,
                   {double(r.x), double(r.y), double(r.width), double(r.height)},
                   dark});
  }
  return out;
}

}  // namespace tessera::ecology
