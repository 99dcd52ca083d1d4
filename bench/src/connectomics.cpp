// tessera bench connectomics: the learned pipeline (affinity U-Net, watershed, agglomeration)
// against the classical baseline (watershed on the smoothed raw intensity) on a real volume
// with true ids: train on the first slices, segment the held-out last ones, compare VOI and
// adapted Rand error. Each method's agglomeration threshold is chosen on the training slices.
#include "tessera/bench/connectomics.hpp"

#include <chrono>
#include <iomanip>
#include <ostream>
#include <sstream>

#include "tessera/connectomics/affinity_model.hpp"
#include "tessera/connectomics/metrics.hpp"
#include "tessera/connectomics/preview.hpp"
#include "tessera/connectomics/segmentation.hpp"
#include "tessera/formats/volume_io.hpp"
#include "tessera/io/atomic_file.hpp"
#include "tessera/io/settings.hpp"
#include "tessera/ops/shape_ops.hpp"
#include "tessera/tile/tiled.hpp"

namespace tessera::bench {

using namespace tessera::connectomics;

namespace {

// Slices [z0, z1) of a [1, C, D, H, W] tensor or of a label volume.
Tensor z_slab(const Tensor& t, int64_t z0, int64_t z1) {
  return crop(t, {0, 0, z0, 0, 0}, {1, t.dim(1), z1 - z0, t.dim(3), t.dim(4)}).to_plain();
}
LabelVolume z_slab(const LabelVolume& l, int64_t z0, int64_t z1) {
  const int64_t plane = l.size[1] * l.size[2];
  return {{z1 - z0, l.size[1], l.size[2]},
          std::vector<uint64_t>(l.ids.begin() + z0 * plane, l.ids.begin() + z1 * plane),
          l.spacing};
}

struct MethodResult {
  std::string method;
  double threshold = 0;
  SegmentationScores train, test;
  LabelVolume test_segmentation;
};

// Segments the training and test slabs at every threshold, keeps the threshold with the
// lowest CREMI score on the training slab, and reports it on both.
MethodResult best_on_training(const std::string& method, const Tensor& aff_train,
                              const Tensor& aff_test, const LabelVolume& truth_train,
                              const LabelVolume& truth_test,
                              const std::vector<double>& thresholds) {
  const auto train_segs =
      agglomerate(watershed_fragments(boundary_map(aff_train)), aff_train, thresholds);
  const auto test_segs =
      agglomerate(watershed_fragments(boundary_map(aff_test)), aff_test, thresholds);
  MethodResult best;
  for (size_t k = 0; k < thresholds.size(); ++k) {
    const SegmentationScores s = evaluate_segmentation(train_segs[k], truth_train);
    if (k == 0 || s.cremi_score < best.train.cremi_score)
      best = {method, thresholds[k], s, evaluate_segmentation(test_segs[k], truth_test),
              test_segs[k]};
  }
  return best;
}

std::string table(const std::vector<MethodResult>& rs, const ConnectomicsBenchOptions& o,
                  const Shape& size, double train_seconds) {
  std::ostringstream s;
  s << "Volume " << o.raw << " " << to_string(size) << "; training slices 0.."
    << size[0] - o.test_slices - 1 << ", held out " << size[0] - o.test_slices << ".."
    << size[0] - 1 << " (" << o.test_slices << "). Affinity U-Net 8/16/32, " << o.steps
    << " steps of 2 crops, trained in " << std::fixed << std::setprecision(0) << train_seconds
    << " s. Threshold chosen on the "
    << "training slices; scores on the held-out slices (lower is better).\n\n"
    << "| method | threshold | VOI split | VOI merge | VOI | adapted Rand error | CREMI score |\n"
    << "| --- | --- | --- | --- | --- | --- | --- |\n";
  for (const MethodResult& r : rs)
    s << "| " << r.method << " | " << std::setprecision(2) << r.threshold << " | "
      << std::setprecision(3) << r.test.voi_split << " | " << r.test.voi_merge << " | "
      << r.test.voi_split + r.test.voi_merge << " | " << r.test.adapted_rand_error << " | "
      << r.test.cremi_score << " |\n";
  return s.str();
}

}  // namespace

std::string run_connectomics_benchmark(const ConnectomicsBenchOptions& o) {
  if (o.raw.empty()) throw SettingError("raw", "no raw volume given");
  if (o.labels.empty()) throw SettingError("labels", "no label volume given");
  const Tensor raw = read_raw(o.raw);
  const Shape size = {raw.dim(2), raw.dim(3), raw.dim(4)};
  const LabelVolume labels = read_labels(o.labels);
  if (labels.size != size) throw std::invalid_argument("raw and labels differ in size");
  const int64_t split = size[0] - o.test_slices;
  if (o.test_slices < 4 || split < 8)
    throw SettingError("test_slices", "must leave at least 8 training slices and be >= 4");
  const Tensor raw_train = z_slab(raw, 0, split), raw_test = z_slab(raw, split, size[0]);
  const LabelVolume truth_train = z_slab(labels, 0, split),
                    truth_test = z_slab(labels, split, size[0]);

  const auto start = std::chrono::steady_clock::now();
  AffinityModel m = train_affinity_model(
      raw_train, truth_train, {.steps = o.steps, .progress = [&](int step, float loss) {
                                 if (o.log && step % 250 == 0)
                                   *o.log << "  step " << step << "  loss " << loss << std::endl;
                               }});
  const double train_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  auto net = prediction_network(std::move(m));
  const Tensor aff_train = run_whole(*net, raw_train).to_plain(),
               aff_test = run_whole(*net, raw_test).to_plain();

  std::vector<MethodResult> rs;
  rs.push_back(best_on_training("learned affinities (tessera)", aff_train, aff_test, truth_train,
                                truth_test, o.thresholds));
  rs.push_back(best_on_training("baseline: watershed on smoothed raw",
                                intensity_affinities(raw_train), intensity_affinities(raw_test),
                                truth_train, truth_test, o.thresholds));
  const std::string t = table(rs, o, size, train_seconds);
  if (!o.markdown.empty()) write_atomically(o.markdown, t);
  if (!o.preview.empty()) {
    TensorSource raw_src(raw_test), seg_src(label_tensor(rs[0].test_segmentation));
    write_segmentation_preview(o.preview, raw_src, seg_src);
  }
  return t;
}

}  // namespace tessera::bench
