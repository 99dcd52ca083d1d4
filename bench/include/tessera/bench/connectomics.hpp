#pragma once
// The connectomics benchmark behind `tessera bench connectomics`: the learned pipeline (affinity
// U-Net, watershed, agglomeration) against the classical baseline (watershed on the smoothed raw
// intensity) on a real volume with true ids: train on the first slices, segment the held-out
// last ones, compare VOI and adapted Rand error. Each method's agglomeration threshold is chosen
// on the training slices (see bench/connectomics.sh).
#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

namespace tessera::bench {

struct ConnectomicsBenchOptions {
  std::string raw{};         // raw EM volume (volume spec)
  std::string labels{};      // true ids (0 = boundary / unlabelled)
  int64_t test_slices = 15;  // last z slices held out
  int steps = 1500;          // training steps
  std::vector<double> thresholds = {0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9};
  std::string markdown{}, preview{};  // outputs when not empty: the table, a PNG of the test slices
  std::ostream* log = nullptr;        // training progress
};

// Returns the Markdown table (also written to `markdown`).
std::string run_connectomics_benchmark(const ConnectomicsBenchOptions& o);

}  // namespace tessera::bench
