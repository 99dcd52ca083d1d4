#include "tessera/materials/property_scores.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>
#include <string>

namespace tessera::materials {

namespace {

void check_sizes(size_t a, size_t b, const char* what) {
  if (a == 0 || a != b)
    throw std::invalid_argument(std::string(what) + ": " + std::to_string(a) + " predictions for " +
                                std::to_string(b) + " truths");
}

}  // namespace

double r_squared(const std::vector<double>& predicted, const std::vector<double>& truth) {
  check_sizes(predicted.size(), truth.size(), "R2");
  const double mean = std::accumulate(truth.begin(), truth.end(), 0.0) / double(truth.size());
  double residual = 0, spread = 0;
  for (size_t i = 0; i < truth.size(); ++i) {
    residual += (predicted[i] - truth[i]) * (predicted[i] - truth[i]);
    spread += (truth[i] - mean) * (truth[i] - mean);
  }
  return spread > 0 ? 1 - residual / spread : NAN;
}

double mean_absolute_error(const std::vector<double>& predicted, const std::vector<double>& truth) {
  check_sizes(predicted.size(), truth.size(), "MAE");
  double sum = 0;
  for (size_t i = 0; i < truth.size(); ++i) sum += std::abs(predicted[i] - truth[i]);
  return sum / double(truth.size());
}

double roc_auc(const std::vector<double>& scores, const std::vector<bool>& positive) {
  check_sizes(scores.size(), positive.size(), "ROC-AUC");
  // Mann-Whitney: the rank sum of the positives, ties given their mean rank.
  std::vector<size_t> order(scores.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return scores[a] < scores[b]; });
  double rank_sum = 0;
  int64_t positives = 0;
  for (size_t i = 0; i < order.size();) {
    size_t j = i;
    while (j < order.size() && scores[order[j]] == scores[order[i]]) ++j;
    const double rank = (double(i) + double(j - 1)) / 2 + 1;
    for (size_t k = i; k < j; ++k)
      if (positive[order[k]]) rank_sum += rank, ++positives;
    i = j;
  }
  const int64_t negatives = int64_t(scores.size()) - positives;
  if (positives == 0 || negatives == 0) return NAN;
  return (rank_sum - double(positives) * double(positives + 1) / 2) /
         (double(positives) * double(negatives));
}

double macro_f1(const std::vector<int>& predicted, const std::vector<int>& truth, int classes) {
  check_sizes(predicted.size(), truth.size(), "macro-F1");
  double sum = 0;
  int present = 0;
  for (int c = 0; c < classes; ++c) {
    int64_t tp = 0, fp = 0, fn = 0;
    for (size_t i = 0; i < truth.size(); ++i) {
      tp += predicted[i] == c && truth[i] == c;
      fp += predicted[i] == c && truth[i] != c;
      fn += predicted[i] != c && truth[i] == c;
    }
    if (tp + fp + fn == 0) continue;
    sum += 2.0 * double(tp) / double(2 * tp + fp + fn);
    ++present;
  }
  return present > 0 ? sum / present : NAN;
}

}  // namespace tessera::materials
