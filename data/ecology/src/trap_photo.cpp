#include "tessera/data/trap_photo.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <random>

#include <opencv2/imgproc.hpp>

namespace tessera::data {
namespace {

// The trap: yellow, lit unevenly from one side, with a printed grid and paper texture.
cv::Mat trap_background(const TrapPhotoOptions& o, std::mt19937_64& rng) {
  std::uniform_real_distribution<double> u(0, 1);
  cv::Mat image(o.height, o.width, CV_8UC3);
  const double angle = 2 * std::numbers::pi * u(rng), strength = 0.15 + 0.2 * u(rng);
  for (int y = 0; y < o.height; ++y)
    for (int x = 0; x < o.width; ++x) {
      const double t = (std::cos(angle) * x / o.width + std::sin(angle) * y / o.height);
      const double light = 1 - strength * (t + 1) / 2;
      image.at<cv::Vec3b>(y, x) =
          cv::Vec3b(cv::saturate_cast<uchar>(40 * light), cv::saturate_cast<uchar>(215 * light),
                    cv::saturate_cast<uchar>(235 * light));
    }
  const int step = std::max(20, o.width / 20);
  for (int x = step / 2; x < o.width; x += step)
    cv::line(image, {x, 0}, {x, o.height - 1}, cv::Scalar(30, 170, 190), 1, cv::LINE_AA);
  for (int y = step / 2; y < o.height; y += step)
    cv::line(image, {0, y}, {o.width - 1, y}, cv::Scalar(30, 170, 190), 1, cv::LINE_AA);
  return image;
}

struct Shape {
  int category;
  cv::RotatedRect body;
  std::vector<cv::RotatedRect> wings;  // drawn half-transparent below the body
};

Shape insect_shape(int category, cv::Point2f centre, double size, double angle_deg) {
  const double a = angle_deg * std::numbers::pi / 180;
  const cv::Point2f across(float(-std::sin(a)), float(std::cos(a)));
  Shape s{category, {}, {}};
  if (category == 0) {  // moth: a body and two broad wings
    s.body = {centre, cv::Size2f(float(size), float(size * 0.3)), float(angle_deg)};
    for (int side : {-1, 1})
      s.wings.push_back({centre + across * float(side * size * 0.28),
                         cv::Size2f(float(size * 0.8), float(size * 0.45)),
                         float(angle_deg + side * 20)});
  } else if (category == 1) {  // fly: a narrow body and two thin wings
    s.body = {centre, cv::Size2f(float(size * 0.7), float(size * 0.28)), float(angle_deg)};
    for (int side : {-1, 1})
      s.wings.push_back({centre + across * float(side * size * 0.2),
                         cv::Size2f(float(size * 0.6), float(size * 0.18)),
                         float(angle_deg + side * 35)});
  } else {  // beetle: round and dark
    s.body = {centre, cv::Size2f(float(size * 0.8), float(size * 0.6)), float(angle_deg)};
  }
  return s;
}

cv::Rect2d bounds(const Shape& s) {
  cv::Rect2f r = s.body.boundingRect2f();
  for (const cv::RotatedRect& w : s.wings) r |= w.boundingRect2f();
  return r;
}

void draw(cv::Mat& image, const Shape& s, double shade) {
  cv::Mat wings = image.clone();
  for (const cv::RotatedRect& w : s.wings)
    cv::ellipse(wings, w, cv::Scalar(150 * shade, 150 * shade, 140 * shade), cv::FILLED,
                cv::LINE_AA);
  cv::addWeighted(wings, 0.6, image, 0.4, 0, image);
  cv::ellipse(image, s.body, cv::Scalar(25 * shade, 35 * shade, 45 * shade), cv::FILLED,
              cv::LINE_AA);
}

}  // namespace

std::vector<ecology::Category> trap_categories() {
  return {{0, "moth"}, {1, "fly"}, {2, "beetle"}};
}

TrapPhoto make_trap_photo(const TrapPhotoOptions& o) {
  std::mt19937_64 rng(o.seed);
  std::uniform_real_distribution<double> u(0, 1);
  TrapPhoto p{trap_background(o, rng), {}};
  std::vector<cv::Rect2d> placed;
  // Insects do not overlap (their boxes keep apart), as on a trap that is not yet crowded.
  for (int tries = 0; int(p.insects.size()) < o.insects && tries < 50 * o.insects; ++tries) {
    const int category =
        o.categories[size_t(u(rng) * double(o.categories.size())) % o.categories.size()];
    const double size = o.min_size + (o.max_size - o.min_size) * u(rng);
    const cv::Point2f centre(float(size + u(rng) * (o.width - 2 * size)),
                             float(size + u(rng) * (o.height - 2 * size)));
    const Shape s = insect_shape(category, centre, size, 360 * u(rng));
    const cv::Rect2d box = bounds(s) & cv::Rect2d(0, 0, o.width, o.height);
    bool apart = true;
    for (const cv::Rect2d& other : placed) apart = apart && (box & other).area() == 0;
    if (!apart) continue;
    placed.push_back(box);
    draw(p.image, s, 0.6 + 0.8 * u(rng));
    p.insects.push_back({0, category, {box.x, box.y, box.width, box.height}, 1});
  }
  if (o.blur > 0) cv::GaussianBlur(p.image, p.image, cv::Size(), o.blur);
  cv::Mat noise(p.image.size(), CV_16SC3);
  cv::RNG noise_rng(rng());  // seeded: OpenCV's global generator would make photos differ
  noise_rng.fill(noise, cv::RNG::NORMAL, 0, o.noise);
  cv::Mat noisy;
  p.image.convertTo(noisy, CV_16SC3);
  noisy += noise;
  noisy.convertTo(p.image, CV_8UC3);
  return p;
}

}  // namespace tessera::data
