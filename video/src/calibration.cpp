// Photon transfer: temporal statistics only (differences of frames, variances over time), so the
// fixed pattern of a sensor and the unevenness of a flat field never count as noise.
#include "tessera/video/calibration.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <vector>

#include "frame_blocks.hpp"

namespace tessera::video {

namespace {

constexpr int64_t kBlock = 8;  // frames read at once

// Rows of a frame block: C * H rows of W pixels per frame.
struct FrameGeometry {
  int64_t rows, width;
  int64_t pixels() const { return rows * width; }
};

FrameGeometry geometry_of(const VolumeSource& src) {
  const auto& i = src.info();
  return {i.channels * i.size[1], i.size[2]};
}

// Pointer to frame t of a block [1, C, n, H, W] is not contiguous over C; copy it out plain.
void copy_frame(const Tensor& block, int64_t t, std::vector<float>& frame) {
  const int64_t c = block.dim(1), n = block.dim(2), hw = block.dim(3) * block.dim(4);
  frame.resize(size_t(c * hw));
  const float* p = block.data();
  for (int64_t k = 0; k < c; ++k) std::copy_n(p + (k * n + t) * hw, hw, frame.data() + k * hw);
}

}  // namespace

DarkNoise measure_dark_noise(VolumeSource& dark, int64_t max_frames) {
  require_clip(dark, "the dark frames", 2);
  const FrameGeometry g = geometry_of(dark);
  if (g.width < 2) throw std::invalid_argument("the dark frames must be at least 2 pixels wide");
  double sum = 0, diff_sq = 0, row_sq = 0;
  int64_t pixels = 0, diffs = 0;
  std::vector<float> frame, previous;
  for_each_frame_block(dark, kBlock, max_frames, [&](int64_t, const Tensor& block) {
    for (int64_t t = 0; t < block.dim(2); ++t) {
      copy_frame(block, t, frame);
      for (float v : frame) sum += v;
      pixels += g.pixels();
      if (!previous.empty()) {
        // d = f[t] - f[t-1]: var(d) = 2 (pixel + row); var(row mean of d) = 2 (row + pixel / W).
        for (int64_t r = 0; r < g.rows; ++r) {
          double row_sum = 0;
          for (int64_t x = 0; x < g.width; ++x) {
            const double d =
                double(frame[size_t(r * g.width + x)]) - previous[size_t(r * g.width + x)];
            diff_sq += d * d;
            row_sum += d;
          }
          const double row_mean = row_sum / double(g.width);
          row_sq += row_mean * row_mean;
        }
        ++diffs;
      }
      previous.swap(frame);
    }
  });
  const double var_d = diff_sq / double(diffs * g.pixels());
  const double var_r = row_sq / double(diffs * g.rows);
  const double w = double(g.width);
  DarkNoise n;
  n.black_level = sum / double(pixels);
  n.pixel_variance = std::max(0.0, (var_d - var_r) * w / (2 * (w - 1)));
  n.row_variance = std::max(0.0, var_r / 2 - n.pixel_variance / w);
  return n;
}

namespace {

// Per-pixel temporal mean and variance of one flat clip.
struct PixelMoments {
  std::vector<double> mean, variance;
};

PixelMoments pixel_moments(VolumeSource& flat, int64_t max_frames) {
  require_clip(flat, "a flat clip", 2);
  const FrameGeometry g = geometry_of(flat);
  std::vector<double> sum(size_t(g.pixels())), sum_sq(size_t(g.pixels()));
  std::vector<float> frame;
  int64_t frames = 0;
  for_each_frame_block(flat, kBlock, max_frames, [&](int64_t, const Tensor& block) {
    for (int64_t t = 0; t < block.dim(2); ++t, ++frames) {
      copy_frame(block, t, frame);
      for (size_t i = 0; i < frame.size(); ++i)
        sum[i] += frame[i], sum_sq[i] += double(frame[i]) * frame[i];
    }
  });
  PixelMoments m{std::vector<double>(sum.size()), std::vector<double>(sum.size())};
  const double n = double(frames);
  for (size_t i = 0; i < sum.size(); ++i) {
    m.mean[i] = sum[i] / n;
    m.variance[i] = std::max(0.0, (sum_sq[i] - sum[i] * m.mean[i]) / (n - 1));
  }
  return m;
}

}  // namespace

double measure_gain(const std::vector<VolumeSource*>& flats, const DarkNoise& dark,
                    double white_level, int64_t max_frames) {
  if (flats.empty()) throw std::invalid_argument("calibration needs at least one flat clip");
  const double dark_variance = dark.pixel_variance + dark.row_variance;
  const double lowest = dark.black_level + 3 * std::sqrt(dark_variance) + 1;
  const double highest = dark.black_level + 0.95 * (white_level - dark.black_level);
  // Bins of the signal above black, each fitted by its mean signal and mean variance.
  constexpr int kBins = 64;
  std::vector<double> count(kBins), signal(kBins), variance(kBins);
  for (VolumeSource* flat : flats) {
    const PixelMoments m = pixel_moments(*flat, max_frames);
    for (size_t i = 0; i < m.mean.size(); ++i) {
      if (m.mean[i] < lowest || m.mean[i] > highest) continue;
      const int b = std::min(kBins - 1, int((m.mean[i] - lowest) / (highest - lowest) * kBins));
      count[b] += 1, signal[b] += m.mean[i] - dark.black_level, variance[b] += m.variance[i];
    }
  }
  // variance = gain * signal + dark_variance, least squares through the dark intercept, each
  // bin weighted by its pixels.
  double num = 0, den = 0;
  for (int b = 0; b < kBins; ++b) {
    if (count[b] == 0) continue;
    const double s = signal[b] / count[b], v = variance[b] / count[b];
    num += count[b] * s * (v - dark_variance);
    den += count[b] * s * s;
  }
  if (den <= 0)
    throw std::invalid_argument(
        "no flat pixel is lit above the dark noise and below white: flats need light, not "
        "saturation");
  const double gain = num / den;
  if (!(gain > 0))
    throw std::invalid_argument(
        "the flats' variance does not grow with their brightness: are "
        "they clips of a still, evenly lit scene?");
  return gain;
}

CameraProfile calibrate_camera(VolumeSource& dark, const std::vector<VolumeSource*>& flats,
                               const CalibrationOptions& o) {
  int bits = o.bits;
  if (bits == 0) {
    const auto& a = dark.info().attributes;
    const auto at = a.find("bit_depth");
    bits = at != a.end() ? std::stoi(at->second) : 16;
  }
  if (bits < 1 || bits > 32) throw std::invalid_argument("bits must be 1 to 32");
  CameraProfile p;
  p.name = "calibrated from " + dark.info().description;
  p.bits = bits;
  p.white_level = std::ldexp(1.0, bits) - 1;
  const DarkNoise d = measure_dark_noise(dark, o.max_frames);
  p.black_level = d.black_level;
  p.read_noise_dn = std::sqrt(std::max(0.0, d.pixel_variance - 1.0 / 12));
  p.row_noise_dn = std::sqrt(d.row_variance);
  p.gain = measure_gain(flats, d, p.white_level, o.max_frames);
  return p;
}

}  // namespace tessera::video
