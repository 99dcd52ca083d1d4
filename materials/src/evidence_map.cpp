#include "tessera/materials/evidence_map.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

#include <opencv2/imgproc.hpp>

namespace tessera::materials {

namespace {

// Channel `k` of a plain [1,K,h,w] tensor as an image (a copy).
cv::Mat channel_image(const Tensor& t, int k) {
  if (t.ndim() != 4 || t.dim(0) != 1 || k < 0 || k >= t.dim(1))
    throw std::invalid_argument("evidence map: no map " + std::to_string(k) + " in " +
                                to_string(t.shape()));
  const int h = int(t.dim(2)), w = int(t.dim(3));
  return cv::Mat(h, w, CV_32F, const_cast<float*>(t.data()) + int64_t(k) * h * w).clone();
}

}  // namespace

cv::Mat class_activation_map(Module& head, const Tensor& features, int k) {
  return channel_image(forward_on_model_device(head, features, Mode::eval).to_host_plain(), k);
}

cv::Mat grad_cam(Module& head, const Tensor& features, int k) {
  const Tensor a = features.to_host_plain();
  const Device device = device_of(head);  // the head computes there; the maps are made here
  const Tensor s = head.forward(a.to(device), Mode::train).to_host_plain();
  channel_image(s, k);  // checks k
  // d y_k / d S: 1 / (h w) on map k, 0 elsewhere.
  const int64_t area = s.dim(2) * s.dim(3);
  Tensor ds = Tensor::zeros(s.shape());
  std::fill(ds.data() + k * area, ds.data() + (k + 1) * area, float(1.0 / double(area)));
  const Tensor da = head.backward_one(ds.to(device)).to_host_plain();
  head.clear_saved();
  const int64_t channels = a.dim(1), pixels = a.dim(2) * a.dim(3);
  cv::Mat map = cv::Mat::zeros(int(a.dim(2)), int(a.dim(3)), CV_32F);
  for (int64_t c = 0; c < channels; ++c) {
    double alpha = 0;
    for (int64_t i = 0; i < pixels; ++i) alpha += da.data()[c * pixels + i];
    map += alpha * channel_image(a, int(c));
  }
  return cv::max(map, 0.0);
}

cv::Mat evidence_overlay(const cv::Mat& pixels, const cv::Mat& evidence) {
  cv::Mat positive = cv::max(evidence, 0.0), scaled, heat, grey8, bgr, out;
  double top = 0;
  cv::minMaxLoc(positive, nullptr, &top);
  positive.convertTo(scaled, CV_8U, top > 0 ? 255.0 / top : 0);
  cv::resize(scaled, scaled, pixels.size(), 0, 0, cv::INTER_LINEAR);
  cv::applyColorMap(scaled, heat, cv::COLORMAP_JET);
  pixels.convertTo(grey8, CV_8U, 255);
  cv::cvtColor(grey8, bgr, cv::COLOR_GRAY2BGR);
  cv::addWeighted(bgr, 0.6, heat, 0.4, 0, out);
  return out;
}

}  // namespace tessera::materials
