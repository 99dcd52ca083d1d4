// tessera connectomics: neuron segmentation of EM volumes. synth (generated volumes with
// truth), train (affinity U-Net), predict (tiled), segment (watershed + agglomeration), run
// (predict + segment), evaluate (VOI, adapted Rand, CREMI score).
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "commands.hpp"
#include "options.hpp"
#include "tessera/connectomics/affinity_model.hpp"
#include "tessera/connectomics/metrics.hpp"
#include "tessera/connectomics/preview.hpp"
#include "tessera/connectomics/segmentation.hpp"
#include "tessera/data/em_volume.hpp"
#include "tessera/formats/volume_io.hpp"
#include "tessera/tile/tiled.hpp"
#include "training_options.hpp"

namespace tessera::app {

using namespace tessera::connectomics;

namespace {

// "seg.h5:seg" with threshold 0.5 -> "seg_t0.5.h5:seg": one output per threshold.
std::string spec_for_threshold(const std::string& spec, double t) {
  const std::string file = volume_file(spec);
  const size_t at = spec.find(file);
  std::filesystem::path p(file);
  std::ostringstream name;
  name << p.stem().string() << "_t" << t << p.extension().string();
  const std::string renamed = (p.parent_path() / name.str()).string();
  return spec.substr(0, at) + renamed + spec.substr(at + file.size());
}

std::string scores_json(const SegmentationScores& s) {
  const nlohmann::json j = {
      {"voi_split", s.voi_split},         {"voi_merge", s.voi_merge},
      {"voi", s.voi_split + s.voi_merge}, {"adapted_rand_error", s.adapted_rand_error},
      {"cremi_score", s.cremi_score},     {"voxels", s.voxels}};
  return j.dump(2);
}

// ---- synth ----

struct SynthOptions {
  std::string raw, labels;
  std::vector<int64_t> size = {32, 96, 96};
  double cell_size = 18;
  uint64_t seed = 0;
};

void synth(const SynthOptions& o) {
  check_label_format(o.labels);
  const data::EmVolume v = data::make_em_volume(
      {.size = Shape(o.size.begin(), o.size.end()), .cell_size = o.cell_size, .seed = o.seed});
  const Shape s(o.size.begin(), o.size.end());
  auto sink = create_volume(o.raw, VolumeInfo{.channels = 1, .size = s}, 1, "float32");
  sink->write(Region::whole(s), v.raw);
  sink->commit();
  write_labels(o.labels, LabelVolume{s, v.ids, {}});
  std::cout << "synthetic EM " << to_string(s) << " with " << v.cells << " cells -> " << o.raw
            << ", " << o.labels << "\n";
}

// ---- train ----

struct TrainOptions {
  std::string raw, labels, output;
  int steps = 500;
  std::vector<int64_t> patch = {16, 64, 64}, channels = {8, 16, 32};
  int64_t batch = 2;
  bool reversible = false;
  uint64_t seed = 0;
  TrainingOptions training{};
};

void train(const TrainOptions& o, Communicator& comm) {
  const Tensor raw = read_raw(o.raw);
  const LabelVolume labels = read_labels(o.labels);
  if (Shape{raw.dim(2), raw.dim(3), raw.dim(4)} != labels.size)
    throw std::invalid_argument("--raw " + to_string(Shape{raw.dim(2), raw.dim(3), raw.dim(4)}) +
                                " and --labels " + to_string(labels.size) + " differ in size");
  const bool report = comm.rank() == 0;
  if (report)
    std::cout << "training a 3D U-Net (" << (o.reversible ? "reversible, " : "") << "channels "
              << to_string(Shape(o.channels.begin(), o.channels.end())) << ") for affinities on "
              << to_string(labels.size) << " with " << o.training.optimizer << ", " << o.steps
              << " steps of " << o.batch << " crops"
              << (comm.size() > 1 ? " over " + std::to_string(comm.size()) + " ranks" : "") << "\n";
  AffinityModel m = train_affinity_model(raw, labels,
                                         {.patch = Shape(o.patch.begin(), o.patch.end()),
                                          .batch = o.batch,
                                          .steps = o.steps,
                                          .channels = o.channels,
                                          .reversible = o.reversible,
                                          .optimizer = o.training.optimizer,
                                          .optimizer_settings = o.training.settings,
                                          .lr = o.training.lr,
                                          .seed = o.seed,
                                          .progress =
                                              [](int step, float loss) {
                                                std::cout << "  step " << step << "  loss " << loss
                                                          << std::endl;
                                              }},
                                         &comm);
  if (!report) return;  // one checkpoint, written by rank 0
  save_affinity_model(o.output, m);
  std::cout << "model -> " << o.output << "\n";
}

// ---- predict / segment / run ----

struct PredictOptions {
  std::string model, raw, output, max_memory = "1G";
  bool quiet = false;
};

void predict(const PredictOptions& o) {
  const std::size_t budget = parse_bytes(o.max_memory, "--max-memory");
  auto net = prediction_network(load_affinity_model(o.model));
  auto source = open_volume(o.raw);
  const VolumeInfo info = source->info();
  if (info.channels != 1 || info.size.size() != 3)
    throw std::invalid_argument(o.raw + ": expected a single-channel 3D volume, got " +
                                std::to_string(info.channels) + " x " + to_string(info.size));
  const TileReport r = run_tiled(
      *net, *source, [&](int64_t c) { return create_volume(o.output, info, c, "float32"); },
      {.max_memory = budget, .progress = !o.quiet});
  if (!o.quiet)
    std::cout << "affinities " << to_string(info.size) << " in " << r.plan.tiles << " tiles, "
              << r.seconds << " s -> " << o.output << "\n";
}

struct SegmentOptions {
  std::string affinities, output, preview, raw, max_memory = "1G";
  std::vector<double> thresholds = {0.5};
  float boundary_threshold = 0.5f;
  double seed_height = 1.0;
};

void segment(const SegmentOptions& o) {
  const std::size_t budget = parse_bytes(o.max_memory, "--max-memory");
  std::vector<std::string> specs;
  for (double t : o.thresholds) {
    specs.push_back(o.thresholds.size() == 1 ? o.output : spec_for_threshold(o.output, t));
    check_label_format(specs.back());
  }
  auto source = open_volume(o.affinities);
  const VolumeInfo& info = source->info();
  std::vector<std::unique_ptr<VolumeSink>> sinks;
  std::vector<VolumeSink*> outputs;
  for (const std::string& spec : specs) {
    sinks.push_back(create_volume(spec, {.channels = 1, .size = info.size, .spacing = info.spacing},
                                  1, "uint64"));
    outputs.push_back(sinks.back().get());
  }
  const VolumeSegmentReport r = segment_volume(
      *source, outputs,
      {.watershed = {.threshold = o.boundary_threshold, .seed_height = o.seed_height},
       .thresholds = o.thresholds,
       .max_memory = budget});
  for (auto& sink : sinks) sink->commit();
  for (size_t k = 0; k < specs.size(); ++k)
    std::cout << "threshold " << o.thresholds[k] << ": " << r.segments[k] << " segments (from "
              << r.fragments << " fragments, " << r.slabs << " slab(s)) -> " << specs[k] << "\n";
  if (!o.preview.empty()) {
    if (o.raw.empty()) throw std::invalid_argument("--preview needs --raw");
    auto raw = open_volume(o.raw);
    auto seg = open_volume(specs.front());
    write_segmentation_preview(o.preview, *raw, *seg);
    std::cout << "preview -> " << o.preview << "\n";
  }
}

// ---- evaluate ----

void evaluate(const std::string& segmentation, const std::string& truth,
              const std::string& output) {
  const SegmentationScores s = evaluate_segmentation(read_labels(segmentation), read_labels(truth));
  const std::string json = scores_json(s);
  std::cout << json << "\n";
  if (!output.empty()) write_text(output, json + "\n");
}

}  // namespace

void add_connectomics_command(CLI::App& app) {
  auto* group =
      app.add_subcommand("connectomics", "Neuron segmentation of electron-microscopy volumes");
  group->require_subcommand(1);

  auto* cmd = group->add_subcommand("synth", "Generate an EM-like volume with true neuron ids");
  auto so = std::make_shared<SynthOptions>();
  cmd->add_option("--raw", so->raw, "raw volume to write")->required();
  cmd->add_option("--labels", so->labels, "ids to write")->required();
  cmd->add_option("--size", so->size, "z,y,x")
      ->delimiter(',')
      ->expected(3)
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 16))
      ->capture_default_str();
  cmd->add_option("--cell-size", so->cell_size, "mean cell diameter, voxels")
      ->check(CLI::Range(3.0, 1e4))
      ->capture_default_str();
  cmd->add_option("--seed", so->seed, "random seed")->capture_default_str();
  cmd->callback([so] { synth(*so); });

  cmd = group->add_subcommand("train", "Train a 3D U-Net for affinities on raw EM and true ids");
  auto to = std::make_shared<TrainOptions>();
  cmd->add_option("--raw", to->raw, "raw EM volume (file.h5:dataset, .tif stack, .nrrd, ...)")
      ->required();
  cmd->add_option("--labels", to->labels, "neuron ids, 0 = unlabelled / boundary")->required();
  cmd->add_option("--output", to->output, "checkpoint to write (.h5)")->required();
  cmd->add_option("--steps", to->steps, "training steps")
      ->check(CLI::Range(1, 10000000))
      ->capture_default_str();
  cmd->add_option("--patch", to->patch, "crop z,y,x (multiples of 4)")
      ->delimiter(',')
      ->expected(3)
      ->check(CLI::Range(int64_t{4}, int64_t{4096}))
      ->capture_default_str();
  cmd->add_option("--batch", to->batch, "crops per step, over all ranks")
      ->check(CLI::Range(int64_t{1}, int64_t{4096}))
      ->capture_default_str();
  cmd->add_option("--channels", to->channels, "U-Net channels per level")
      ->delimiter(',')
      ->check(CLI::Range(int64_t{1}, int64_t{4096}))
      ->capture_default_str();
  cmd->add_flag("--reversible", to->reversible, "reversible U-Net: training memory flat in depth");
  cmd->add_option("--seed", to->seed, "random seed")->capture_default_str();
  add_training_options(cmd, to->training);
  cmd->callback([to] {
    for (int64_t p : to->patch)
      if (p % 4) throw std::invalid_argument("--patch sizes must be multiples of 4");
    run_with_communicator(to->training, [&](Communicator& comm) { train(*to, comm); });
  });

  auto add_predict_options = [](CLI::App* c, PredictOptions& p) {
    c->add_option("--model", p.model, "checkpoint from connectomics train")
        ->required()
        ->check(CLI::ExistingFile);
    c->add_option("--raw", p.raw, "raw EM volume")->required();
    c->add_option("--max-memory", p.max_memory, "memory budget for the network, e.g. 2G")
        ->capture_default_str();
    c->add_flag("--quiet", p.quiet, "no progress");
  };
  auto add_segment_options = [](CLI::App* c, SegmentOptions& s) {
    c->add_option("--thresholds,--threshold", s.thresholds,
                  "agglomeration thresholds (one output each)")
        ->delimiter(',')
        ->check(CLI::Range(0.0, 1.0))
        ->capture_default_str();
    c->add_option("--boundary-threshold", s.boundary_threshold,
                  "boundary below which voxels are inside (seeds)")
        ->check(CLI::Range(0.0, 1.0))
        ->capture_default_str();
    c->add_option("--seed-height", s.seed_height, "h-maxima height of seeds, voxels")
        ->check(CLI::Range(0.0, 1e6))
        ->capture_default_str();
    c->add_option("--preview", s.preview,
                  "PNG of a few slices with the segmentation (needs --raw)");
    c->add_option("--segment-memory", s.max_memory,
                  "memory for one slab of the segmentation, e.g. 2G")
        ->capture_default_str();
  };

  cmd = group->add_subcommand("predict", "Affinities of a raw volume, by tiles (out of core)");
  auto po = std::make_shared<PredictOptions>();
  add_predict_options(cmd, *po);
  cmd->add_option("--output", po->output, "affinities to write (file.h5:dataset, ...)")->required();
  cmd->callback([po] { predict(*po); });

  cmd = group->add_subcommand("segment", "Watershed and agglomeration of affinities into neurons");
  auto sg = std::make_shared<SegmentOptions>();
  cmd->add_option("--affinities", sg->affinities, "affinities from predict")->required();
  cmd->add_option("--output", sg->output, "segmentation to write (uint64 in HDF5)")->required();
  cmd->add_option("--raw", sg->raw, "raw volume, for --preview");
  add_segment_options(cmd, *sg);
  cmd->callback([sg] { segment(*sg); });

  cmd = group->add_subcommand("run", "predict, then segment");
  auto rp = std::make_shared<PredictOptions>();
  auto rs = std::make_shared<SegmentOptions>();
  add_predict_options(cmd, *rp);
  cmd->add_option("--affinities", rp->output,
                  "where to keep the affinities (default: beside --output)");
  cmd->add_option("--output", rs->output, "segmentation to write")->required();
  add_segment_options(cmd, *rs);
  cmd->callback([rp, rs] {
    if (rp->output.empty())
      rp->output =
          (std::filesystem::path(volume_file(rs->output)).parent_path() /
           (std::filesystem::path(volume_file(rs->output)).stem().string() + "_affinities.h5"))
              .string() +
          ":affinities";
    predict(*rp);
    rs->affinities = rp->output;
    rs->raw = rp->raw;
    segment(*rs);
  });

  cmd = group->add_subcommand("evaluate", "VOI split / merge, adapted Rand error, CREMI score");
  auto seg = std::make_shared<std::string>(), truth = std::make_shared<std::string>(),
       out = std::make_shared<std::string>();
  cmd->add_option("--segmentation", *seg, "segmentation")->required();
  cmd->add_option("--truth", *truth, "true ids (0 = unlabelled, left out)")->required();
  cmd->add_option("--output", *out, "write the scores here as JSON");
  cmd->callback([seg, truth, out] { evaluate(*seg, *truth, *out); });
}

}  // namespace tessera::app
