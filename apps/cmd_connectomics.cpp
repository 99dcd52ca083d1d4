// tessera connectomics: neuron segmentation of EM volumes. synth (generated volumes with
// truth), train (affinity U-Net), predict (tiled), segment (watershed + agglomeration), run
// (predict + segment), evaluate (VOI, adapted Rand, CREMI score).
#include <iostream>

#include "commands.hpp"
#include "errors.hpp"
#include "options.hpp"
#include "shared_options.hpp"
#include "tessera/connectomics/workflow.hpp"
#include "tessera/data/em_volume.hpp"

namespace tessera::app {

using namespace tessera::connectomics;

namespace {

struct SynthOptions {
  data::EmVolumeFiles files{};
  std::vector<int64_t> size = {32, 96, 96};
};

// The segmentation flags as given; what is not given comes from the affinity file.
struct SegmentOptions {
  AffinitySegmentation run{};
  float boundary_threshold = SegmentationSettings{}.watershed.threshold;
  double seed_height = SegmentationSettings{}.watershed.seed_height;
  CLI::Option *boundary_flag = nullptr, *seed_flag = nullptr;

  const AffinitySegmentation& resolved() {
    if (boundary_flag->count()) run.settings.boundary_threshold = boundary_threshold;
    if (seed_flag->count()) run.settings.seed_height = seed_height;
    return run;
  }
};

void print_training(const TrainingReport& r) {
  if (!r.chosen) {
    std::cout << "segmentation settings: the defaults (nothing held out)\n";
    return;
  }
  const SettingsTrial& c = *r.chosen;
  const SegmentationScores& s = c.scores;
  std::cout << "segmentation settings chosen on " << r.held_out << ": threshold "
            << c.settings.threshold << ", boundary threshold " << c.settings.watershed.threshold
            << ", seed height " << c.settings.watershed.seed_height << " (VOI "
            << s.voi_split + s.voi_merge << ", adapted Rand error " << s.adapted_rand_error
            << ", CREMI score " << s.cremi_score << ")\n";
}

struct TrainOptions {
  AffinityTraining run{};
  std::vector<int64_t> patch = {16, 64, 64};
  TrainingOptions training{};
};

struct PredictOptions {
  AffinityPrediction run{};
  bool quiet = false;
};

void print_prediction(const PredictionReport& r) {
  std::cout << "affinities " << to_string(r.size) << " in " << r.tiles.plan.tiles << " tiles, "
            << r.tiles.seconds << " s -> " << r.output << "\n";
}

void print_segmentation(const AffinitySegmentation& s, const SegmentationReport& r) {
  const VolumeSegmentReport& v = r.volume;
  std::cout << "settings: boundary threshold " << r.used.watershed.threshold << ", seed height "
            << r.used.watershed.seed_height << " (" << r.settings_source << ")\n";
  for (size_t k = 0; k < r.outputs.size(); ++k)
    std::cout << "threshold " << r.used.thresholds[k] << ": " << v.segments[k] << " segments (from "
              << v.fragments << " fragments, " << v.slabs << " slab(s)) -> " << r.outputs[k]
              << "\n";
  if (!s.preview.empty()) std::cout << "preview -> " << s.preview << "\n";
}

void add_synth(CLI::App* group) {
  auto* cmd = group->add_subcommand("synth", "Generate an EM-like volume with true neuron ids");
  auto o = std::make_shared<SynthOptions>();
  cmd->add_option("--raw", o->files.raw, "raw volume to write")->required();
  cmd->add_option("--labels", o->files.labels, "ids to write")->required();
  cmd->add_option("--size", o->size, "z,y,x")
      ->delimiter(',')
      ->expected(3)
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 16))
      ->capture_default_str();
  cmd->add_option("--cell-size", o->files.volume.cell_size, "mean cell diameter, voxels")
      ->check(CLI::Range(3.0, 1e4))
      ->capture_default_str();
  add_shared_options(cmd, {.seed = &o->files.volume.seed});
  cmd->callback([o] {
    o->files.volume.size = Shape(o->size.begin(), o->size.end());
    const int64_t cells = data::write_em_volume(o->files);
    std::cout << "synthetic EM " << to_string(o->files.volume.size) << " with " << cells
              << " cells -> " << o->files.raw << ", " << o->files.labels << "\n";
  });
}

void add_train(CLI::App* group) {
  auto* cmd =
      group->add_subcommand("train", "Train a 3D U-Net for affinities on raw EM and true ids");
  auto o = std::make_shared<TrainOptions>();
  AffinityTrainOptions& t = o->run.train;
  cmd->add_option("--raw", o->run.raw, "raw EM volume (file.h5:dataset, .tif stack, .nrrd, ...)")
      ->required();
  cmd->add_option("--labels", o->run.labels, "neuron ids, 0 = unlabelled / boundary")->required();
  cmd->add_option("--output", o->run.output, "checkpoint to write (.h5)")->required();
  cmd->add_option("--steps", t.steps, "training steps")
      ->check(CLI::Range(1, 10000000))
      ->capture_default_str();
  add_shared_options(cmd, {.patch_zyx = &o->patch,
                           .batch = &t.batch,
                           .channels = &t.channels,
                           .seed = &t.seed,
                           .training = &o->training,
                           .run = &t.run,
                           .precision = &t.precision,
                           .device = &t.run.device,
                           .batch_help = "crops per step, over all ranks"});
  cmd->add_flag("--reversible", t.reversible, "reversible U-Net: training memory flat in depth");
  cmd->add_option("--held-out-fraction", o->run.held_out.fraction,
                  "share of the last z slices held out to choose the segmentation settings "
                  "(0: none, keep the defaults)")
      ->check(CLI::Range(0.0, 0.9))
      ->capture_default_str();
  cmd->add_option("--held-out-raw", o->run.held_out.raw,
                  "a separate volume to choose the settings on (then all of --raw trains)");
  cmd->add_option("--held-out-labels", o->run.held_out.labels, "the ids of --held-out-raw");
  cmd->callback([cmd, o] {
    AffinityTrainOptions& t = o->run.train;
    t.patch = Shape(o->patch.begin(), o->patch.end());
    t.optimizer = o->training.optimizer;
    t.optimizer_settings = o->training.settings;
    t.lr = o->training.lr;
    o->run.log = &std::cout;
    run_with_communicator(*cmd, o->training, [&](Communicator& comm) {
      const TrainingReport r = train_affinities(o->run, comm);
      if (comm.rank() != 0) return;
      print_training(r);
      std::cout << "model -> " << o->run.output << "\n";
    });
    std::cerr << device_note(t.run.device);
  });
}

void add_predict_options(CLI::App* c, PredictOptions& p) {
  c->add_option("--model", p.run.model, "checkpoint from connectomics train")
      ->required()
      ->check(CLI::ExistingFile);
  c->add_option("--raw", p.run.raw, "raw EM volume")->required();
  add_bytes_option(c, "--max-memory", p.run.max_memory, "memory budget for the network, e.g. 2G");
  add_shared_options(c, {.precision = &p.run.precision, .device = &p.run.device});
  c->add_flag("--quiet", p.quiet, "no progress");
}

void add_segment_options(CLI::App* c, SegmentOptions& o) {
  AffinitySegmentation& s = o.run;
  c->add_option("--thresholds,--threshold", s.settings.thresholds,
                "agglomeration thresholds, one output each (default: the model's choice, "
                "else 0.5)")
      ->delimiter(',')
      ->check(CLI::Range(0.0, 1.0));
  o.boundary_flag =
      c->add_option("--boundary-threshold", o.boundary_threshold,
                    "boundary below which voxels are inside (seeds; default: the model's "
                    "choice, else 0.5)")
          ->check(CLI::Range(0.0, 1.0));
  o.seed_flag =
      c->add_option("--seed-height", o.seed_height,
                    "h-maxima height of seeds, voxels (default: the model's choice, else 1)")
          ->check(CLI::Range(0.0, 1e6));
  c->add_option("--preview", s.preview, "PNG of a few slices with the segmentation (needs --raw)");
  add_bytes_option(c, "--segment-memory", s.max_memory,
                   "memory for one slab of the segmentation, e.g. 2G");
}

void add_predict(CLI::App* group) {
  auto* cmd =
      group->add_subcommand("predict", "Affinities of a raw volume, by tiles (out of core)");
  auto o = std::make_shared<PredictOptions>();
  add_predict_options(cmd, *o);
  cmd->add_option("--output", o->run.output, "affinities to write (file.h5:dataset, ...)")
      ->required();
  cmd->callback([o] {
    o->run.progress = !o->quiet;
    const PredictionReport r = predict_affinities(o->run);
    if (o->quiet) return;
    print_prediction(r);
    std::cerr << device_note(o->run.device);
  });
}

void add_segment(CLI::App* group) {
  auto* cmd =
      group->add_subcommand("segment", "Watershed and agglomeration of affinities into neurons");
  auto o = std::make_shared<SegmentOptions>();
  cmd->add_option("--affinities", o->run.affinities, "affinities from predict")->required();
  cmd->add_option("--output", o->run.output, "segmentation to write (uint64 in HDF5)")->required();
  cmd->add_option("--raw", o->run.raw, "raw volume, for --preview");
  add_segment_options(cmd, *o);
  cmd->callback([o] { print_segmentation(o->run, segment_affinities(o->resolved())); });
}

void add_run(CLI::App* group) {
  auto* cmd = group->add_subcommand("run", "predict, then segment");
  auto p = std::make_shared<PredictOptions>();
  auto s = std::make_shared<SegmentOptions>();
  add_predict_options(cmd, *p);
  cmd->add_option("--affinities", p->run.output,
                  "where to keep the affinities (default: beside --output)");
  cmd->add_option("--output", s->run.output, "segmentation to write")->required();
  add_segment_options(cmd, *s);
  cmd->callback([p, s] {
    p->run.progress = !p->quiet;
    const PipelineReport r = predict_and_segment(p->run, s->resolved());
    if (!p->quiet) print_prediction(r.prediction);
    print_segmentation(s->run, r.segmentation);
    if (!p->quiet) std::cerr << device_note(p->run.device);
  });
}

void add_evaluate(CLI::App* group) {
  auto* cmd =
      group->add_subcommand("evaluate", "VOI split / merge, adapted Rand error, CREMI score");
  auto e = std::make_shared<Evaluation>();
  cmd->add_option("--segmentation", e->segmentation, "segmentation to score");
  cmd->add_option("--affinities", e->affinities,
                  "affinities to segment at every threshold 0.05..0.95 (a sweep table)");
  cmd->add_option("--truth", e->truth, "true ids (0 = unlabelled, left out)")->required();
  cmd->add_option("--output", e->output,
                  "write the scores here as JSON, and the sweep beside it (NAME_sweep.csv)");
  cmd->callback([e] {
    const EvaluationReport r = evaluate_files(*e);
    std::cout << r.scores.dump(2) << "\n";
    if (!r.sweep_csv.empty()) std::cout << "threshold sweep -> " << r.sweep_csv << "\n";
  });
}

}  // namespace

void add_connectomics_command(CLI::App& app) {
  auto* group =
      app.add_subcommand("connectomics", "Neuron segmentation of electron-microscopy volumes");
  group->require_subcommand(1);
  add_synth(group);
  add_train(group);
  add_predict(group);
  add_segment(group);
  add_run(group);
  add_evaluate(group);
}

}  // namespace tessera::app
