#pragma once
// Scores of a predicted specimen property: R2 and mean absolute error for a number, ROC-AUC for
// two classes, macro-F1 for several. Each throws std::invalid_argument for empty input or
// lengths that differ.
#include <vector>

namespace tessera::materials {

// 1 - sum (p - t)^2 / sum (t - mean t)^2; NaN when the truth does not vary.
double r_squared(const std::vector<double>& predicted, const std::vector<double>& truth);
double mean_absolute_error(const std::vector<double>& predicted, const std::vector<double>& truth);

// The probability that a random positive scores above a random negative (ties count half):
// the area under the ROC curve. NaN without both classes.
double roc_auc(const std::vector<double>& scores, const std::vector<bool>& positive);

// The mean over the classes 0..classes-1 present in truth or prediction of their F1
// (2 TP / (2 TP + FP + FN)).
double macro_f1(const std::vector<int>& predicted, const std::vector<int>& truth, int classes);

}  // namespace tessera::materials
