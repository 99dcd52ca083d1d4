#pragma once
// Where in a micrograph the evidence for a prediction lies. Both maps read the features A
// [1,C,h,w] that a network's head turns into score maps S = head(A) [1,K,h,w], whose mean y_k
// is the prediction of class k (a number: k = 0).
//
//   cv::Mat cam = class_activation_map(head, features, k);   // S_k itself (Zhou et al. 2016)
//   cv::Mat g = grad_cam(head, features, k);                  // Selvaraju et al. 2017
//   cv::imwrite("evidence.png", evidence_overlay(pixels, g));
#include <opencv2/core.hpp>

#include "tessera/nn/module.hpp"

namespace tessera::materials {

// The class activation map: the head's score map of class k, [h,w] CV_32F. For a 1x1 head it
// is sum_c w_kc A_c + b_k, the class's weights applied at each pixel.
cv::Mat class_activation_map(Module& head, const Tensor& features, int k);

// Grad-CAM: ReLU(sum_c alpha_c A_c) with alpha_c = sum over pixels of d y_k / d A_c (the mean
// gradient up to a constant factor), [h,w] CV_32F. Works for any head, which it runs forward
// and backward once.
cv::Mat grad_cam(Module& head, const Tensor& features, int k);

// The evidence (any range; its negative part left out) scaled to its maximum, brought to the
// micrograph's size and laid over it in colour (blue: none, red: the most). CV_8UC3.
cv::Mat evidence_overlay(const cv::Mat& pixels, const cv::Mat& evidence);

}  // namespace tessera::materials
