#pragma once
// Phase maps scored against their truth, folder against folder: every truth mask needs a
// prediction of the same name (any image extension) and size; scores per image and over all
// pixels, as JSON and a Markdown table. What `tessera materials evaluate` runs.
//
//   MaskEvaluationReport r = evaluate_masks_to_files(
//       {.prediction = "maps/", .truth = "labels_region/", .phases = {"matrix", "network"},
//        .output = "scores.json"});
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "tessera/materials/segmentation_scores.hpp"

namespace tessera::materials {

struct MaskEvaluation {
  std::string prediction{};           // folder of label images (8-bit, label = phase index)
  std::string truth{};                // folder of label images, the same names
  std::vector<std::string> phases{};  // names of labels 0, 1, ...; empty: "0", "1", ... up to the
                                      // largest label found
  int ignore = -1;                    // a truth label left out of the scores (-1: none)
  std::string output{};               // scores (.json)
  std::string markdown{};             // table (default: output with .md)
};

struct MaskEvaluationReport {
  std::vector<std::string> phases;
  std::vector<std::pair<std::string, SegmentationScores>> images;  // by name, in natural order
  SegmentationScores all;                                          // over every pixel
  std::string markdown;
  std::vector<std::string> files;  // written: the scores, then the table
};

// Throws std::runtime_error naming the file for a missing folder, a truth mask without its
// prediction, masks of different sizes or of more than one channel or 8 bits, and a label
// beyond the phases; SettingError for outputs that would overwrite an input. Nothing is written
// then.
MaskEvaluationReport evaluate_masks_to_files(const MaskEvaluation& e);

nlohmann::json to_json(const MaskEvaluationReport& r);
std::string to_markdown(const MaskEvaluationReport& r);

}  // namespace tessera::materials
