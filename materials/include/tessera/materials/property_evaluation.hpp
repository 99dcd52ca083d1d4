#pragma once
// Predicted properties scored against a table of the truth, per specimen (the mean of its
// images' predictions, the unit a property belongs to) and per image: R2 and mean absolute error
// for a number; accuracy, macro-F1 and, for two classes, ROC-AUC for a category. As JSON and a
// Markdown table; what `tessera materials evaluate` runs on the predictions.csv of `predict`.
// Folds grouped by specimen are the caller's: predictions of held-out specimens only.
//
//   PropertyEvaluationReport r = evaluate_property_to_files(
//       {.predictions = "out/predictions.csv", .truth = "metadata.csv",
//        .target = "anneal_temperature_C", .output = "scores.json"});
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace tessera::materials {

struct PropertyEvaluation {
  std::string predictions{};  // image,specimen,prediction,... as predict writes it
  std::string truth{};        // table: image name, the target, the specimen
  std::string target{};       // the truth's column
  std::string group{};        // its specimen column (default: specimen, sample_key or sample)
  std::string output{};       // scores (.json)
  std::string markdown{};     // table (default: output with .md)
};

struct PropertyScores {
  size_t count = 0;
  double r_squared = 0, mean_absolute_error = 0;   // a number
  double accuracy = 0, macro_f1 = 0, roc_auc = 0;  // a category (AUC NaN unless two classes)
};

struct PropertyEvaluationReport {
  std::string target{};
  std::vector<std::string> classes{};  // empty: a number
  PropertyScores specimens{}, images{};
  std::string markdown{};
  std::vector<std::string> files{};  // written: the scores, then the table
};

// Specimens are left unscored (count 0) when a class differs between a specimen's images.
// Throws std::runtime_error naming the file (and line) for a missing column, a truth that is
// not a number or not one of the predicted classes, or no image in both tables; SettingError
// for outputs that would overwrite an input. Nothing is written then.
PropertyEvaluationReport evaluate_property_to_files(const PropertyEvaluation& e);

nlohmann::json to_json(const PropertyEvaluationReport& r);
std::string to_markdown(const PropertyEvaluationReport& r);

}  // namespace tessera::materials
