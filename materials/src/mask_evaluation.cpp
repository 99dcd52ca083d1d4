#include "tessera/materials/mask_evaluation.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <stdexcept>

#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>

#include "image_folder.hpp"
#include "report_files.hpp"
#include "tessera/io/atomic_file.hpp"
#include "tessera/io/output_check.hpp"

namespace tessera::materials {

namespace fs = std::filesystem;

namespace {

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw std::runtime_error(path + ": " + what);
}

cv::Mat read_mask(const std::string& path) {
  const cv::Mat m = cv::imread(path, cv::IMREAD_UNCHANGED);
  if (m.empty()) fail(path, "not an image OpenCV can read");
  if (m.type() != CV_8UC1)
    fail(path, "a label mask must be 8-bit with one channel (label = phase index)");
  return m;
}

int largest_label(const cv::Mat& m) {
  double hi = 0;
  cv::minMaxLoc(m, nullptr, &hi);
  return int(hi);
}

nlohmann::json scores_json(const SegmentationScores& s, const std::vector<std::string>& phases) {
  nlohmann::json iou, truth, predicted;
  for (size_t c = 0; c < phases.size(); ++c) {
    iou[phases[c]] = score_json(s.iou[c]);
    truth[phases[c]] = score_json(s.fraction_truth[c]);
    predicted[phases[c]] = score_json(s.fraction_predicted[c]);
  }
  return {{"iou", iou},
          {"mean_iou", score_json(s.mean_iou)},
          {"pixel_accuracy", score_json(s.pixel_accuracy)},
          {"fraction_truth", truth},
          {"fraction_predicted", predicted},
          {"fraction_error", score_json(s.fraction_error)}};
}

}  // namespace

MaskEvaluationReport evaluate_masks_to_files(const MaskEvaluation& e) {
  check_outputs_spare_inputs(
      {.inputs = {{"prediction", e.prediction}, {"truth", e.truth}},
       .output_files = {{"output", e.output}, {"markdown", markdown_path(e.output, e.markdown)}}});
  const auto truths = images_by_stem(e.truth, "label images");
  std::map<std::string, std::string> predictions;
  for (const auto& [stem, path] : images_by_stem(e.prediction, "label images"))
    predictions[stem] = path;
  std::vector<std::pair<std::string, cv::Mat>> truth_masks, predicted_masks;
  int labels = 0;
  for (const auto& [stem, path] : truths) {
    const auto it = predictions.find(stem);
    if (it == predictions.end()) fail(path, "no prediction named " + stem + " in " + e.prediction);
    truth_masks.push_back({stem, read_mask(path)});
    predicted_masks.push_back({stem, read_mask(it->second)});
    labels = std::max({labels, largest_label(truth_masks.back().second) + 1,
                       largest_label(predicted_masks.back().second) + 1});
  }
  MaskEvaluationReport r;
  r.phases = e.phases;
  for (int c = int(r.phases.size()); c < (e.phases.empty() ? labels : 0); ++c)
    r.phases.push_back(std::to_string(c));
  ConfusionMatrix all(int(r.phases.size()));
  for (size_t i = 0; i < truth_masks.size(); ++i) {
    ConfusionMatrix one(int(r.phases.size()));
    try {
      one.add(predicted_masks[i].second, truth_masks[i].second, e.ignore);
    } catch (const std::invalid_argument& error) {
      fail(truths[i].second, error.what());
    }
    all.add(one);
    r.images.push_back({truth_masks[i].first, segmentation_scores(one)});
  }
  r.all = segmentation_scores(all);
  r.markdown = to_markdown(r);
  r.files = write_scores(to_json(r), r.markdown, e.output, e.markdown);
  return r;
}

nlohmann::json to_json(const MaskEvaluationReport& r) {
  nlohmann::json images = nlohmann::json::array();
  for (const auto& [name, s] : r.images) {
    nlohmann::json j = scores_json(s, r.phases);
    j["image"] = name;
    images.push_back(j);
  }
  return {{"phases", r.phases}, {"all", scores_json(r.all, r.phases)}, {"images", images}};
}

std::string to_markdown(const MaskEvaluationReport& r) {
  std::string out = "Phase maps against their truth (" + std::to_string(r.images.size()) +
                    " images; IoU per phase, NaN where a phase is in neither)\n\n| image |";
  std::string rule = "|---|";
  for (const std::string& p : r.phases) out += " IoU " + p + " |", rule += "---|";
  out += " mIoU | pixel accuracy | fraction error |\n" + rule + "---|---|---|\n";
  auto row = [&](const std::string& name, const SegmentationScores& s) {
    char cell[64];
    std::string line = "| " + name + " |";
    for (double iou : s.iou) {
      std::snprintf(cell, sizeof cell, " %.3f |", iou);
      line += cell;
    }
    std::snprintf(cell, sizeof cell, " %.3f | %.3f | %.3f |\n", s.mean_iou, s.pixel_accuracy,
                  s.fraction_error);
    return line + cell;
  };
  for (const auto& [name, s] : r.images) out += row(name, s);
  return out + row("**all pixels**", r.all);
}

}  // namespace tessera::materials
