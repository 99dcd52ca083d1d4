#pragma once
// The filter bank of Fiji's Trainable Weka Segmentation and of ilastik's pixel classification:
// what a pixel classifier knows of each pixel's neighbourhood at several scales. At each sigma
// in {1, 2, 4, 8}: the Gaussian-smoothed intensity, its gradient magnitude, the Laplacian of
// Gaussian, the difference of Gaussians (sigma minus 2 sigma), the two eigenvalues of the
// Hessian of the smoothed image, and the Gaussian-weighted local standard deviation; and the
// intensity itself. Borders are mirrored, so a crop's features near its edges differ slightly
// from those of the same pixels inside the whole image.
//
//   cv::Mat f = pixel_features(pixels);   // [H*W, pixel_feature_names().size()] CV_32F
//   f.row(y * W + x);                     // the features of pixel (y, x)
#include <string>
#include <vector>

#include <opencv2/core.hpp>

namespace tessera::materials {

// The sigmas of the bank, in pixels.
const std::vector<double>& pixel_feature_sigmas();

// One name per column of pixel_features: "intensity", then per sigma s "gaussian_s<s>",
// "gradient_s<s>", "log_s<s>", "dog_s<s>", "hessian_max_s<s>", "hessian_min_s<s>", "sd_s<s>".
const std::vector<std::string>& pixel_feature_names();

// pixels [H, W] CV_32F, one channel (0..1 or standardised) -> [H*W, features] CV_32F, pixels in
// row-major order. Throws std::invalid_argument for another type or an empty image.
cv::Mat pixel_features(const cv::Mat& pixels);

}  // namespace tessera::materials
