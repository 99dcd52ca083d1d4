#pragma once
// The connectomics benchmark behind `tessera bench connectomics`: the learned pipeline as a user
// runs it (`connectomics train` and `run` at their defaults, see bench/connectomics.sh) against
// the classical baseline (watershed on the smoothed raw intensity) on a real volume with true
// ids. The volume is split along z into a training file and a test file; train sees only the
// training file (and chooses its settings on part of it), the baseline's agglomeration
// threshold is chosen on the training slices, and both are scored on the test slices.
#include <cstdint>
#include <string>
#include <vector>

namespace tessera::bench {

struct ConnectomicsSplit {
  std::string raw{};         // raw EM volume (volume spec)
  std::string labels{};      // true ids (0 = boundary / unlabelled)
  int64_t test_slices = 15;  // last z slices held out for scoring
};

// Writes DIR/train.h5:raw with DIR/train_ids.h5:ids (the first slices) and DIR/test.h5:raw with
// DIR/test_ids.h5:ids (the last `test_slices`). Returns a line saying what went where.
std::string write_connectomics_split(const ConnectomicsSplit& s, const std::string& dir);

struct ConnectomicsBenchOptions {
  ConnectomicsSplit split{};
  std::string segmentation{};  // the learned pipeline's segmentation of the test slices
  std::vector<double> thresholds = {0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9};  // baseline's
  std::string markdown{};  // the table, when not empty
};

// The table of both methods' scores on the test slices, with the ratio baseline / learned
// (also written to `markdown`).
std::string run_connectomics_benchmark(const ConnectomicsBenchOptions& o);

}  // namespace tessera::bench
