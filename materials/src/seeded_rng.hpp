#pragma once
// OpenCV's random forests and k-means draw from the calling thread's cv::theRNG(); seeding it
// for the length of a call makes their results reproducible, and restoring it afterwards
// leaves the caller's random sequence as it was.
#include <cstdint>

#include <opencv2/core.hpp>

namespace tessera::materials {

class SeededTheRng {
 public:
  explicit SeededTheRng(uint64_t seed) : saved_(cv::theRNG()) { cv::theRNG() = cv::RNG(seed); }
  ~SeededTheRng() { cv::theRNG() = saved_; }
  SeededTheRng(const SeededTheRng&) = delete;
  SeededTheRng& operator=(const SeededTheRng&) = delete;

 private:
  cv::RNG saved_;
};

}  // namespace tessera::materials
