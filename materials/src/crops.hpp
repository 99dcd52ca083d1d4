#pragma once
// Training crops of micrographs, shared by the segmenter and the property model: drawn at
// random, mirrored out when the image is smaller, turned at random (micrographs have no up),
// and copied into a batch.
#include <cstdint>
#include <random>

#include <opencv2/core.hpp>

#include "tessera/tensor/tensor.hpp"

namespace tessera::materials {

// `pixels` mirrored out at the bottom and right to at least `edge` x `edge`.
inline cv::Mat padded_to(const cv::Mat& pixels, int edge) {
  if (pixels.rows >= edge && pixels.cols >= edge) return pixels;
  cv::Mat out;
  cv::copyMakeBorder(pixels, out, 0, std::max(0, edge - pixels.rows), 0,
                     std::max(0, edge - pixels.cols), cv::BORDER_REFLECT_101);
  return out;
}

// A `patch` x `patch` crop at a random place, flipped and transposed at random (8 turns).
inline cv::Mat random_crop(const cv::Mat& pixels, int patch, std::mt19937_64& rng) {
  const cv::Mat source = padded_to(pixels, patch);
  std::uniform_int_distribution<int> dy(0, source.rows - patch), dx(0, source.cols - patch);
  cv::Mat crop = source(cv::Rect(dx(rng), dy(rng), patch, patch)).clone();
  const int turn = int(rng() % 8);
  if (turn & 1) cv::flip(crop, crop, 1);
  if (turn & 2) cv::flip(crop, crop, 0);
  if (turn & 4) cv::transpose(crop, crop);
  return crop;
}

// Copies a CV_32F crop into sample `i` of a one-channel batch [B,1,P,P].
inline void put_crop(Tensor& batch, int64_t i, const cv::Mat& crop) {
  float* out = batch.data() + i * crop.rows * crop.cols;
  for (int y = 0; y < crop.rows; ++y)
    std::copy(crop.ptr<float>(y), crop.ptr<float>(y) + crop.cols, out + y * crop.cols);
}

}  // namespace tessera::materials
