#include "tessera/data/micrograph.hpp"

#include <cmath>
#include <numbers>
#include <random>
#include <vector>

#include <opencv2/imgproc.hpp>

namespace tessera::data {

namespace {

struct Grain {
  cv::Point2d centre;
  Phase fill = matrix;
  double angle = 0;  // of the needles
};

// The nearest and second-nearest grain of every pixel, and how far the pixel is from their
// boundary.
void voronoi(const std::vector<Grain>& grains, cv::Mat& owner, cv::Mat& boundary_distance) {
  owner.create(boundary_distance.size(), CV_32SC1);
  for (int y = 0; y < owner.rows; ++y)
    for (int x = 0; x < owner.cols; ++x) {
      double best = INFINITY, second = INFINITY;
      int index = 0;
      for (size_t g = 0; g < grains.size(); ++g) {
        const double d = std::hypot(x - grains[g].centre.x, y - grains[g].centre.y);
        if (d < best)
          second = best, best = d, index = int(g);
        else if (d < second)
          second = d;
      }
      owner.at<int>(y, x) = index;
      boundary_distance.at<float>(y, x) = float((second - best) / 2);
    }
}

}  // namespace

SyntheticMicrograph make_micrograph(const MicrographOptions& o) {
  std::mt19937_64 rng(o.seed);
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<Grain> grains(size_t(std::max(o.grains, 2)));
  // Centres apart, so that no two grains meet along a boundary as long as they are wide.
  const double apart = 0.4 * std::sqrt(double(o.width) * o.height / double(grains.size()));
  for (size_t k = 0; k < grains.size(); ++k) {
    Grain& g = grains[k];
    for (int attempt = 0; attempt < 100; ++attempt) {
      g.centre = {u(rng) * o.width, u(rng) * o.height};
      bool near = false;
      for (size_t j = 0; j < k; ++j)
        near = near ||
               std::hypot(g.centre.x - grains[j].centre.x, g.centre.y - grains[j].centre.y) < apart;
      if (!near) break;
    }
    const double pick = u(rng);
    g.fill = pick < o.spheroidite_share                           ? spheroidite
             : pick < o.spheroidite_share + o.widmanstatten_share ? widmanstatten
                                                                  : matrix;
    g.angle = u(rng) * std::numbers::pi;
  }
  std::vector<bool> networked(grains.size());
  for (size_t g = 0; g < grains.size(); ++g) networked[g] = u(rng) < o.network_share;
  cv::Mat owner, distance(o.height, o.width, CV_32FC1);
  voronoi(grains, owner, distance);

  SyntheticMicrograph m{cv::Mat(o.height, o.width, CV_8UC1), cv::Mat(o.height, o.width, CV_8UC1)};
  cv::Mat bright(o.height, o.width, CV_32FC1, cv::Scalar(0));  // cementite: 1
  // Particles: bright disks scattered in the spheroidite grains.
  std::vector<cv::Point2d> particles;
  for (int k = 0; k < o.width * o.height / 60; ++k)
    particles.push_back({u(rng) * o.width, u(rng) * o.height});
  for (const cv::Point2d& p : particles) {
    const int x = int(p.x), y = int(p.y);
    if (grains[size_t(owner.at<int>(y, x))].fill == spheroidite)
      cv::circle(bright, p, int(o.particle_size * (1 + 2 * u(rng))), cv::Scalar(1), cv::FILLED,
                 cv::LINE_AA);
  }
  for (int y = 0; y < o.height; ++y)
    for (int x = 0; x < o.width; ++x) {
      const Grain& g = grains[size_t(owner.at<int>(y, x))];
      const bool boundary =
          distance.at<float>(y, x) < 1.6f && networked[size_t(owner.at<int>(y, x))];
      // Needles: thin bright bands across the grain at its angle.
      const double across = x * std::cos(g.angle) + y * std::sin(g.angle);
      const bool needle = g.fill == widmanstatten && std::fmod(across + 1000, 9.0) < 2.0;
      if (boundary || needle) bright.at<float>(y, x) = 1;
      m.labels.at<uint8_t>(y, x) = boundary ? network : g.fill;
    }
  cv::RNG pixels(o.seed);  // OpenCV's own generator, seeded: the same image every time
  cv::Mat texture(o.height, o.width, CV_32FC1);
  pixels.fill(texture, cv::RNG::NORMAL, 0, 1);
  cv::GaussianBlur(texture, texture, {0, 0}, 3);
  cv::Mat grey = 0.28 + 0.5 * bright + 0.15 * texture;
  cv::GaussianBlur(grey, grey, {0, 0}, 0.8);
  cv::Mat noise(o.height, o.width, CV_32FC1);
  pixels.fill(noise, cv::RNG::NORMAL, 0, o.noise);
  grey += noise;
  grey.convertTo(m.image, CV_8UC1, 255);
  return m;
}

}  // namespace tessera::data
