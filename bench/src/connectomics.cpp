// tessera bench connectomics: the learned pipeline, as `connectomics train` and `run` leave it
// at their defaults, against the classical baseline (watershed on the smoothed raw intensity)
// on a real volume with true ids, scored on held-out last slices.
#include "tessera/bench/connectomics.hpp"

#include <iomanip>
#include <sstream>

#include "tessera/connectomics/held_out.hpp"
#include "tessera/connectomics/metrics.hpp"
#include "tessera/connectomics/segmentation.hpp"
#include "tessera/formats/volume_io.hpp"
#include "tessera/io/atomic_file.hpp"
#include "tessera/io/settings.hpp"

namespace tessera::bench {

using namespace tessera::connectomics;

namespace {

struct Volumes {
  Tensor raw_train, raw_test;
  LabelVolume truth_train, truth_test;
};

Volumes split_volumes(const ConnectomicsSplit& s) {
  if (s.raw.empty()) throw SettingError("raw", "no raw volume given");
  if (s.labels.empty()) throw SettingError("labels", "no label volume given");
  const Tensor raw = read_raw(s.raw);
  const LabelVolume labels = read_labels(s.labels);
  const int64_t depth = raw.dim(2), split = depth - s.test_slices;
  if (labels.size != Shape{depth, raw.dim(3), raw.dim(4)})
    throw std::invalid_argument("raw and labels differ in size");
  if (s.test_slices < 4 || split < 8)
    throw SettingError("test_slices", "must leave at least 8 training slices and be >= 4");
  return {z_slices(raw, 0, split), z_slices(raw, split, depth), z_slices(labels, 0, split),
          z_slices(labels, split, depth)};
}

// DIR/NAME.h5:raw and DIR/NAME_ids.h5:ids, as a user keeps a volume and its annotation.
void write_pair(const std::string& dir, const std::string& name, const Tensor& raw,
                const LabelVolume& ids) {
  auto sink =
      create_volume(dir + "/" + name + ".h5:raw", {.channels = 1, .size = ids.size}, 1, "float32");
  sink->write(Region::whole(ids.size), raw);
  sink->commit();
  write_labels(dir + "/" + name + "_ids.h5:ids", ids);
}

struct Row {
  std::string method, threshold;
  SegmentationScores test;
};

// The baseline's threshold: the lowest CREMI score on the training slices.
Row baseline(const Volumes& v, const std::vector<double>& thresholds) {
  const Tensor aff_train = intensity_affinities(v.raw_train),
               aff_test = intensity_affinities(v.raw_test);
  const auto train_segs =
      agglomerate(watershed_fragments(boundary_map(aff_train)), aff_train, thresholds);
  const auto test_segs =
      agglomerate(watershed_fragments(boundary_map(aff_test)), aff_test, thresholds);
  size_t best = 0;
  double best_score = 0;
  for (size_t k = 0; k < thresholds.size(); ++k) {
    const double score = evaluate_segmentation(train_segs[k], v.truth_train).cremi_score;
    if (k == 0 || score < best_score) best = k, best_score = score;
  }
  std::ostringstream t;
  t << thresholds[best] << " (chosen on the training slices)";
  return {"baseline: watershed on smoothed raw", t.str(),
          evaluate_segmentation(test_segs[best], v.truth_test)};
}

std::string table(const std::vector<Row>& rows) {
  std::ostringstream s;
  s << "| method | threshold | VOI split | VOI merge | VOI | adapted Rand error | CREMI score |\n"
    << "| --- | --- | --- | --- | --- | --- | --- |\n"
    << std::fixed << std::setprecision(3);
  for (const Row& r : rows)
    s << "| " << r.method << " | " << r.threshold << " | " << r.test.voi_split << " | "
      << r.test.voi_merge << " | " << r.test.voi_split + r.test.voi_merge << " | "
      << r.test.adapted_rand_error << " | " << r.test.cremi_score << " |\n";
  const SegmentationScores &learned = rows[0].test, &base = rows[1].test;
  s << std::setprecision(2) << "\nBaseline / learned: VOI "
    << (base.voi_split + base.voi_merge) / (learned.voi_split + learned.voi_merge)
    << "x, adapted Rand error " << base.adapted_rand_error / learned.adapted_rand_error
    << "x, CREMI score " << base.cremi_score / learned.cremi_score << "x (higher: the learned "
    << "pipeline is better).\n";
  return s.str();
}

}  // namespace

std::string write_connectomics_split(const ConnectomicsSplit& s, const std::string& dir) {
  const Volumes v = split_volumes(s);
  write_pair(dir, "train", v.raw_train, v.truth_train);
  write_pair(dir, "test", v.raw_test, v.truth_test);
  return "training slices " + to_string(v.truth_train.size) + " -> " + dir +
         "/train.h5:raw, train_ids.h5:ids; test slices " + to_string(v.truth_test.size) + " -> " +
         dir + "/test.h5:raw, test_ids.h5:ids";
}

std::string run_connectomics_benchmark(const ConnectomicsBenchOptions& o) {
  if (o.segmentation.empty()) throw SettingError("segmentation", "no learned segmentation given");
  const Volumes v = split_volumes(o.split);
  const Row learned{"learned affinities (tessera train + run, defaults)",
                    "chosen by train on its held-out slices",
                    evaluate_segmentation(read_labels(o.segmentation), v.truth_test)};
  const std::string t = table({learned, baseline(v, o.thresholds)});
  if (!o.markdown.empty()) write_atomically(o.markdown, t);
  return t;
}

}  // namespace tessera::bench
