// Choosing the segmentation settings on held-out slices: a grid of seedings, each agglomerated
// at every threshold of the sweep, scored against the truth.
#include "tessera/connectomics/settings_selection.hpp"

#include <algorithm>
#include <sstream>
#include <stdexcept>

#include "region_graph.hpp"
#include "tessera/io/atomic_file.hpp"
#include "tessera/ops/activation.hpp"
#include "tessera/tile/tiled.hpp"

namespace tessera::connectomics {

nlohmann::json to_json(const SegmentationSettings& s) {
  return {{"boundary_threshold", s.watershed.threshold},
          {"seed_height", s.watershed.seed_height},
          {"threshold", s.threshold}};
}

SegmentationSettings segmentation_settings_from_json(const nlohmann::json& j,
                                                     const std::string& where) {
  const auto number = [&](const char* name, double lo, double hi) {
    if (!j.is_object() || !j.contains(name) || !j.at(name).is_number())
      throw std::invalid_argument(where + ": segmentation settings lack a number '" + name + "'");
    const double v = j.at(name).get<double>();
    if (!(v >= lo && v <= hi))
      throw std::invalid_argument(where + ": segmentation setting '" + name +
                                  "' = " + std::to_string(v) + " lies outside [" +
                                  std::to_string(lo) + ", " + std::to_string(hi) + "]");
    return v;
  };
  SegmentationSettings s;
  s.watershed.threshold = float(number("boundary_threshold", 0, 1));
  s.watershed.seed_height = number("seed_height", 0, 1e6);
  s.threshold = number("threshold", 0, 1);
  return s;
}

std::vector<double> sweep_thresholds() {
  std::vector<double> t;
  for (int k = 1; k <= 19; ++k) t.push_back(k / 20.0);
  return t;
}

std::vector<SettingsTrial> sweep_settings(const Tensor& affinities, const LabelVolume& truth,
                                          const SettingsGrid& grid) {
  const Tensor aff = affinities.to_plain();
  const Tensor boundary = boundary_map(aff);
  std::vector<SettingsTrial> trials;
  for (float boundary_threshold : grid.boundary_thresholds)
    for (double seed_height : grid.seed_heights) {
      const WatershedOptions seeding{boundary_threshold, seed_height};
      const LabelVolume fragments = watershed_fragments(boundary, seeding);
      RegionGraph graph(*std::max_element(fragments.ids.begin(), fragments.ids.end()));
      graph.add_block(fragments.ids.data(), aff, fragments.size);
      // One segmentation at a time: a sweep of a large volume holds two label volumes.
      const std::vector<std::vector<uint64_t>> maps = graph.segment_ids_at(grid.thresholds);
      for (size_t k = 0; k < maps.size(); ++k) {
        LabelVolume segmentation = fragments;
        for (uint64_t& id : segmentation.ids) id = maps[k][id];
        trials.push_back({{seeding, grid.thresholds[k]},
                          evaluate_segmentation(segmentation, truth),
                          *std::max_element(maps[k].begin(), maps[k].end())});
      }
    }
  return trials;
}

const SettingsTrial& best_trial(const std::vector<SettingsTrial>& trials) {
  if (trials.empty()) throw std::invalid_argument("best_trial: no settings were tried");
  return *std::min_element(trials.begin(), trials.end(), [](const auto& a, const auto& b) {
    return a.scores.cremi_score < b.scores.cremi_score;
  });
}

void write_sweep_csv(const std::string& path, const std::vector<SettingsTrial>& trials) {
  std::ostringstream csv;
  csv << "boundary_threshold,seed_height,threshold,segments,voi_split,voi_merge,voi,"
         "adapted_rand_error,cremi_score\n";
  for (const SettingsTrial& t : trials) {
    const SegmentationScores& s = t.scores;
    csv << t.settings.watershed.threshold << "," << t.settings.watershed.seed_height << ","
        << t.settings.threshold << "," << t.segments << "," << s.voi_split << "," << s.voi_merge
        << "," << s.voi_split + s.voi_merge << "," << s.adapted_rand_error << "," << s.cremi_score
        << "\n";
  }
  write_atomically(path, csv.str());
}

Tensor affinities_of(AffinityModel& model, const Tensor& raw) {
  // prediction_network folds this normalisation into a 1x1x1 convolution and takes the
  // network; here the model stays whole, to be saved with the settings chosen from its output.
  Tensor x = raw.to_plain().clone();
  for (int64_t i = 0; i < x.numel(); ++i)
    x.data()[i] = float((x.data()[i] - model.mean) / model.sd);
  return activation_forward(run_whole(*model.unet, x), Activation::sigmoid).to_plain();
}

}  // namespace tessera::connectomics
