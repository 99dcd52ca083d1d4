#pragma once
// Micrographs as users have them: 8- or 16-bit grey TIFF, PNG or JPEG (colour is made grey),
// often with the microscope's data bar along the bottom, at the pixel size of their
// magnification. Read as float grey in [0, 1] (by the type's full range), the bar cut off, and
// resampled to a common micrometres-per-pixel so that magnification is no shortcut.
//
//   Micrograph m = read_micrograph("a.tif", {.um_per_px = 0.097});  // bar detected
//   Micrograph common = resample_to(m, 0.2);
#include <functional>
#include <string>

#include <opencv2/core.hpp>

namespace tessera::materials {

struct Micrograph {
  std::string path;
  cv::Mat pixels;        // CV_32F, one channel, 0..1
  double um_per_px = 0;  // micrometres per pixel; 0: unknown
  int cropped_rows = 0;  // rows of data bar removed from the bottom
};

struct MicrographOptions {
  double um_per_px = 0;  // the pixel size; 0: unknown (resample_to refuses it)
  int crop_bottom = -1;  // rows to cut from the bottom; -1: the data bar detected, if any
};

// Throws std::runtime_error "<path>: ..." for a missing or unreadable file, an image OpenCV
// cannot decode, a negative or NaN pixel size, or a crop leaving fewer than 16 rows.
Micrograph read_micrograph(const std::string& path, const MicrographOptions& o = {});

// Rows at the bottom of `grey` (CV_32F, 0..1) that are a data bar: the longest run of bottom
// rows, at least 2% of the image, most of whose pixels are pure black or pure white, beneath a
// change of brightness. 0 when there is none.
int detect_data_bar(const cv::Mat& grey);

// The micrograph at `um_per_px` (area averaging when shrinking, bilinear when enlarging).
// Throws std::invalid_argument when either pixel size is not positive.
Micrograph resample_to(const Micrograph& m, double um_per_px);

// A label map of the micrograph at its own size, made by `map` at `um_per_px`: resampled there
// when both pixel sizes are known, mapped, and the labels brought back by nearest neighbour.
cv::Mat mapped_at(const Micrograph& m, double um_per_px,
                  const std::function<cv::Mat(const cv::Mat&)>& map);

// Each image's pixels standardised (mean 0, sd 1): micrographs differ in brightness and
// contrast, not in what their phases look like.
cv::Mat standardised(const cv::Mat& pixels);

}  // namespace tessera::materials
