#pragma once
// The ecology baseline behind `tessera bench ecology-baseline`: the classical detector
// (threshold + connected components) that the learned one must beat, with its settings chosen on
// the training photos only: the minimum component area with the best mAP@0.5, then the score
// threshold whose counts come closest to the truth. Scores on the held-out photos, as JSON like
// `ecology evaluate` (see bench/ecology.sh).
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace tessera::bench {

struct EcologyBaselineOptions {
  std::string images{};         // folder of photos
  std::string train{}, test{};  // COCO annotations: settings chosen on `train`, scored on `test`
  std::vector<double> min_areas = {50, 100, 150, 200, 300, 400};  // px, to choose from
  std::string output{};         // the scores as JSON when not empty
  std::ostream* log = nullptr;  // the training mAP of each area
};

nlohmann::json run_ecology_baseline(const EcologyBaselineOptions& o);

}  // namespace tessera::bench
