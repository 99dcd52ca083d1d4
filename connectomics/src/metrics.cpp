#include "tessera/connectomics/metrics.hpp"

#include <cmath>
#include <stdexcept>
#include <unordered_map>

namespace tessera::connectomics {

namespace {

struct PairHash {
  size_t operator()(const std::pair<uint64_t, uint64_t>& p) const {
    return std::hash<uint64_t>()(p.first * 0x9E3779B97F4A7C15ull ^ p.second);
  }
};

// sum over counts of c * log2(c): the entropies below are differences of these.
double sum_c_log_c(double c) {
  return c > 0 ? c * std::log2(c) : 0;
}

}  // namespace

SegmentationScores evaluate_segmentation(const LabelVolume& seg, const LabelVolume& truth) {
  if (seg.size != truth.size || seg.ids.size() != truth.ids.size())
    throw std::invalid_argument("segmentation " + to_string(seg.size) + " and truth " +
                                to_string(truth.size) + " differ in size");
  // The contingency table of (segment, truth object) over voxels with a truth label.
  std::unordered_map<std::pair<uint64_t, uint64_t>, double, PairHash> joint;
  std::unordered_map<uint64_t, double> per_seg, per_truth;
  double n = 0;
  for (size_t i = 0; i < seg.ids.size(); ++i) {
    const uint64_t t = truth.ids[i];
    if (t == 0) continue;
    const uint64_t s = seg.ids[i];
    joint[{s, t}] += 1;
    per_seg[s] += 1;
    per_truth[t] += 1;
    n += 1;
  }
  SegmentationScores r;
  r.voxels = int64_t(n);
  if (n == 0) throw std::invalid_argument("the truth volume has no labelled (nonzero) voxel");
  double joint_sq = 0, seg_sq = 0, truth_sq = 0, h_joint = 0, h_seg = 0, h_truth = 0;
  for (const auto& [k, c] : joint) joint_sq += c * c, h_joint += sum_c_log_c(c);
  for (const auto& [k, c] : per_seg) seg_sq += c * c, h_seg += sum_c_log_c(c);
  for (const auto& [k, c] : per_truth) truth_sq += c * c, h_truth += sum_c_log_c(c);
  // H(X|Y) = H(X,Y) - H(Y), with H(X) = log2 n - sum c log2 c / n.
  r.voi_split = (h_truth - h_joint) / n;  // H(seg | truth)
  r.voi_merge = (h_seg - h_joint) / n;    // H(truth | seg)
  const double precision = joint_sq / seg_sq, recall = joint_sq / truth_sq;
  r.adapted_rand_error = 1 - 2 * precision * recall / (precision + recall);
  r.cremi_score = std::sqrt((r.voi_split + r.voi_merge) * r.adapted_rand_error);
  return r;
}

nlohmann::json to_json(const SegmentationScores& s) {
  return {{"voi_split", s.voi_split},         {"voi_merge", s.voi_merge},
          {"voi", s.voi_split + s.voi_merge}, {"adapted_rand_error", s.adapted_rand_error},
          {"cremi_score", s.cremi_score},     {"voxels", s.voxels}};
}

}  // namespace tessera::connectomics
