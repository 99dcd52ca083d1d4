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
  for (size_t k = 0; k < r.outputs.size(); ++k)
    std::cout << "threshold " << s.segment.thresholds[k] << ": " << v.segments[k]
              << " segments (from " << v.fragments << " fragments, " << v.slabs << " slab(s)) -> "
              << r.outputs[k] << "\n";
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
                           .batch_help = "crops per step, over all ranks"});
  cmd->add_flag("--reversible", t.reversible, "reversible U-Net: training memory flat in depth");
  cmd->callback([cmd, o] {
    AffinityTrainOptions& t = o->run.train;
    t.patch = Shape(o->patch.begin(), o->patch.end());
    t.optimizer = o->training.optimizer;
    t.optimizer_settings = o->training.settings;
    t.lr = o->training.lr;
    o->run.log = &std::cout;
    run_with_communicator(*cmd, o->training, [&](Communicator& comm) {
      train_affinities(o->run, comm);
      if (comm.rank() == 0) std::cout << "model -> " << o->run.output << "\n";
    });
  });
}

void add_predict_options(CLI::App* c, PredictOptions& p) {
  c->add_option("--model", p.run.model, "checkpoint from connectomics train")
      ->required()
      ->check(CLI::ExistingFile);
  c->add_option("--raw", p.run.raw, "raw EM volume")->required();
  add_bytes_option(c, "--max-memory", p.run.max_memory, "memory budget for the network, e.g. 2G");
  c->add_flag("--quiet", p.quiet, "no progress");
}

void add_segment_options(CLI::App* c, AffinitySegmentation& s) {
  c->add_option("--thresholds,--threshold", s.segment.thresholds,
                "agglomeration thresholds (one output each)")
      ->delimiter(',')
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  c->add_option("--boundary-threshold", s.segment.watershed.threshold,
                "boundary below which voxels are inside (seeds)")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  c->add_option("--seed-height", s.segment.watershed.seed_height,
                "h-maxima height of seeds, voxels")
      ->check(CLI::Range(0.0, 1e6))
      ->capture_default_str();
  c->add_option("--preview", s.preview, "PNG of a few slices with the segmentation (needs --raw)");
  add_bytes_option(c, "--segment-memory", s.segment.max_memory,
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
    if (!o->quiet) print_prediction(r);
  });
}

void add_segment(CLI::App* group) {
  auto* cmd =
      group->add_subcommand("segment", "Watershed and agglomeration of affinities into neurons");
  auto o = std::make_shared<AffinitySegmentation>();
  cmd->add_option("--affinities", o->affinities, "affinities from predict")->required();
  cmd->add_option("--output", o->output, "segmentation to write (uint64 in HDF5)")->required();
  cmd->add_option("--raw", o->raw, "raw volume, for --preview");
  add_segment_options(cmd, *o);
  cmd->callback([o] { print_segmentation(*o, segment_affinities(*o)); });
}

void add_run(CLI::App* group) {
  auto* cmd = group->add_subcommand("run", "predict, then segment");
  auto p = std::make_shared<PredictOptions>();
  auto s = std::make_shared<AffinitySegmentation>();
  add_predict_options(cmd, *p);
  cmd->add_option("--affinities", p->run.output,
                  "where to keep the affinities (default: beside --output)");
  cmd->add_option("--output", s->output, "segmentation to write")->required();
  add_segment_options(cmd, *s);
  cmd->callback([p, s] {
    p->run.progress = !p->quiet;
    const PipelineReport r = predict_and_segment(p->run, *s);
    if (!p->quiet) print_prediction(r.prediction);
    print_segmentation(*s, r.segmentation);
  });
}

void add_evaluate(CLI::App* group) {
  auto* cmd =
      group->add_subcommand("evaluate", "VOI split / merge, adapted Rand error, CREMI score");
  auto seg = std::make_shared<std::string>(), truth = std::make_shared<std::string>(),
       out = std::make_shared<std::string>();
  cmd->add_option("--segmentation", *seg, "segmentation")->required();
  cmd->add_option("--truth", *truth, "true ids (0 = unlabelled, left out)")->required();
  cmd->add_option("--output", *out, "write the scores here as JSON");
  cmd->callback([seg, truth, out] {
    std::cout << evaluate_segmentation_files(*seg, *truth, *out).dump(2) << "\n";
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
