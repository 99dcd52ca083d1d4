#include "tessera/connectomics/workflow.hpp"

#include <filesystem>
#include <memory>
#include <sstream>
#include <stdexcept>

#include "tessera/connectomics/labels.hpp"
#include "tessera/connectomics/metrics.hpp"
#include "tessera/connectomics/preview.hpp"
#include "tessera/formats/volume_io.hpp"
#include "tessera/io/atomic_file.hpp"
#include "tessera/io/output_check.hpp"
#include "tessera/io/settings.hpp"

namespace tessera::connectomics {

namespace fs = std::filesystem;

void train_affinities(const AffinityTraining& t, Communicator& comm) {
  check_train_options(t.train, comm.size());  // settings before any reading
  CommandPaths paths{.inputs = {{"raw", volume_file(t.raw)}, {"labels", volume_file(t.labels)}},
                     .output_files = {{"output", t.output}}};
  add_run_paths(paths, t.train.run, t.output);
  check_outputs_spare_inputs(paths);
  const Tensor raw = read_raw(t.raw);
  const LabelVolume labels = read_labels(t.labels);
  check_training_volumes(raw, labels);
  std::ostream* log = comm.rank() == 0 ? t.log : nullptr;
  const AffinityTrainOptions& o = t.train;
  if (log)
    *log << "training a 3D U-Net (" << (o.reversible ? "reversible, " : "") << "channels "
         << to_string(Shape(o.channels.begin(), o.channels.end())) << ") for affinities on "
         << to_string(labels.size) << " with " << o.optimizer << ", " << o.steps << " steps of "
         << o.batch << " crops"
         << (comm.size() > 1 ? " over " + std::to_string(comm.size()) + " ranks" : "") << "\n";
  AffinityTrainOptions with_run = o;
  with_run.run.output = t.output;  // the run folder and its checkpoints go beside the model
  with_run.run.log = log;          // the loss every few steps
  AffinityModel m = train_affinity_model(raw, labels, with_run, &comm);
  if (comm.rank() == 0) save_affinity_model(t.output, m);  // one checkpoint
}

namespace {

// `output`: the setting that names the affinities (run calls them "affinities").
CommandPaths prediction_paths(const AffinityPrediction& p, const std::string& output = "output") {
  CommandPaths paths{.inputs = {{"model", p.model}, {"raw", volume_file(p.raw)}}};
  add_volume_output(paths, output, p.output);
  return paths;
}

// One output per threshold when there are several, named by output_for_threshold.
std::vector<std::string> segmentation_outputs(const AffinitySegmentation& s) {
  const std::vector<double>& thresholds = s.segment.thresholds;
  std::vector<std::string> outputs;
  for (double t : thresholds)
    outputs.push_back(thresholds.size() == 1 ? s.output : output_for_threshold(s.output, t));
  return outputs;
}

CommandPaths segmentation_paths(const AffinitySegmentation& s) {
  CommandPaths paths{.inputs = {{"affinities", volume_file(s.affinities)}},
                     .output_files = {{"preview", s.preview}}};
  if (!s.raw.empty()) paths.inputs.push_back({"raw", volume_file(s.raw)});
  for (const std::string& out : segmentation_outputs(s)) add_volume_output(paths, "output", out);
  return paths;
}

}  // namespace

PredictionReport predict_affinities(const AffinityPrediction& p) {
  check_outputs_spare_inputs(prediction_paths(p));
  auto net = prediction_network(load_affinity_model(p.model));
  auto source = open_volume(p.raw);
  const VolumeInfo info = source->info();
  if (info.channels != 1 || info.size.size() != 3)
    throw std::invalid_argument(p.raw + ": expected a single-channel 3D volume, got " +
                                std::to_string(info.channels) + " x " + to_string(info.size));
  const TileReport r = run_tiled(
      *net, *source, [&](int64_t c) { return create_volume(p.output, info, c, "float32"); },
      {.max_memory = p.max_memory, .progress = p.progress});
  return {p.output, info.size, r};
}

std::string output_for_threshold(const std::string& spec, double threshold) {
  const std::string file = volume_file(spec);
  const size_t at = spec.find(file);
  const fs::path p(file);
  std::ostringstream name;
  name << p.stem().string() << "_t" << threshold << p.extension().string();
  const std::string renamed = (p.parent_path() / name.str()).string();
  return spec.substr(0, at) + renamed + spec.substr(at + file.size());
}

std::string affinities_beside(const std::string& segmentation_spec) {
  const fs::path file(volume_file(segmentation_spec));
  return (file.parent_path() / (file.stem().string() + "_affinities.h5")).string() + ":affinities";
}

SegmentationReport segment_affinities(const AffinitySegmentation& s) {
  if (!s.preview.empty() && s.raw.empty())
    throw SettingError("preview", "needs the raw volume (raw) to draw on");
  SegmentationReport report;
  report.outputs = segmentation_outputs(s);
  for (const std::string& out : report.outputs) check_label_format(out);
  check_outputs_spare_inputs(segmentation_paths(s));
  auto source = open_volume(s.affinities);
  const VolumeInfo& info = source->info();
  std::vector<std::unique_ptr<VolumeSink>> sinks;
  std::vector<VolumeSink*> outputs;
  for (const std::string& spec : report.outputs) {
    sinks.push_back(create_volume(spec, {.channels = 1, .size = info.size, .spacing = info.spacing},
                                  1, "uint64"));
    outputs.push_back(sinks.back().get());
  }
  report.volume = segment_volume(*source, outputs, s.segment);
  for (auto& sink : sinks) sink->commit();
  if (!s.preview.empty()) {
    auto raw = open_volume(s.raw);
    auto seg = open_volume(report.outputs.front());
    write_segmentation_preview(s.preview, *raw, *seg);
  }
  return report;
}

PipelineReport predict_and_segment(AffinityPrediction p, AffinitySegmentation s) {
  if (p.output.empty()) p.output = affinities_beside(s.output);
  s.affinities = p.output;
  s.raw = p.raw;
  // Both steps' paths before the first starts: the segmentation's outputs must spare the raw
  // volume, the model and the affinities too.
  CommandPaths all = prediction_paths(p, "affinities"), seg = segmentation_paths(s);
  all.output_files.insert(all.output_files.end(), seg.output_files.begin(), seg.output_files.end());
  all.output_folders.insert(all.output_folders.end(), seg.output_folders.begin(),
                            seg.output_folders.end());
  check_outputs_spare_inputs(all);
  PipelineReport r;
  r.prediction = predict_affinities(p);
  r.segmentation = segment_affinities(s);
  return r;
}

nlohmann::json evaluate_segmentation_files(const std::string& segmentation,
                                           const std::string& truth, const std::string& output) {
  check_outputs_spare_inputs(
      {.inputs = {{"segmentation", volume_file(segmentation)}, {"truth", volume_file(truth)}},
       .output_files = {{"output", output}}});
  const nlohmann::json j =
      to_json(evaluate_segmentation(read_labels(segmentation), read_labels(truth)));
  if (!output.empty()) write_atomically(output, j.dump(2) + "\n");
  return j;
}

}  // namespace tessera::connectomics
