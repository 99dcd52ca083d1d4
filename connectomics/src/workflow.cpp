#include "tessera/connectomics/workflow.hpp"

#include <algorithm>
#include <filesystem>
#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <tuple>

#include "tessera/connectomics/labels.hpp"
#include "tessera/connectomics/metrics.hpp"
#include "tessera/connectomics/preview.hpp"
#include "tessera/formats/volume_io.hpp"
#include "tessera/io/atomic_file.hpp"
#include "tessera/io/output_check.hpp"
#include "tessera/io/settings.hpp"

namespace tessera::connectomics {

namespace fs = std::filesystem;

namespace {

void log_training(std::ostream& log, const AffinityTrainOptions& o, const Shape& size,
                  const std::string& held_out, int ranks) {
  log << "training a 3D U-Net (" << (o.reversible ? "reversible, " : "") << "channels "
      << to_string(Shape(o.channels.begin(), o.channels.end())) << ") for affinities on "
      << to_string(size) << " with " << o.optimizer << ", " << o.steps << " steps of " << o.batch
      << " crops" << (ranks > 1 ? " over " + std::to_string(ranks) + " ranks" : "") << "\n"
      << (held_out.empty() ? "nothing held out: the model keeps the default segmentation settings"
                           : "held out to choose the segmentation settings: " + held_out)
      << "\n";
}

// Chooses the settings on the held-out part and stores them in the model.
SettingsTrial choose_settings(AffinityModel& m, const TrainingVolumes& v, const SettingsGrid& grid,
                              std::ostream* log) {
  if (log) *log << "choosing the segmentation settings on " << v.held_out << std::endl;
  const std::vector<SettingsTrial> trials =
      sweep_settings(affinities_of(m, v.held_raw), v.held_labels, grid);
  const SettingsTrial& best = best_trial(trials);
  m.segmentation = best.settings;
  return best;
}

}  // namespace

TrainingReport train_affinities(const AffinityTraining& t, Communicator& comm) {
  check_train_options(t.train, comm.size());  // settings before any reading
  check_held_out_options(t.held_out);
  CommandPaths paths{
      .inputs = {{"raw", volume_file(t.raw)},
                 {"labels", volume_file(t.labels)},
                 {"held_out_raw", t.held_out.raw.empty() ? "" : volume_file(t.held_out.raw)},
                 {"held_out_labels",
                  t.held_out.labels.empty() ? "" : volume_file(t.held_out.labels)}},
      .output_files = {{"output", t.output}}};
  add_run_paths(paths, t.train.run, t.output);
  check_outputs_spare_inputs(paths);
  const TrainingVolumes v = [&] {
    Tensor raw = read_raw(t.raw);
    LabelVolume labels = read_labels(t.labels);
    check_training_volumes(raw, labels);
    return hold_out(std::move(raw), std::move(labels), t.held_out);
  }();
  std::ostream* log = comm.rank() == 0 ? t.log : nullptr;
  if (log) log_training(*log, t.train, v.labels.size, v.held_out, comm.size());
  AffinityTrainOptions with_run = t.train;
  with_run.run.output = t.output;          // the run folder and its checkpoints go beside the model
  with_run.run.log = log;                  // the loss every few steps, the validation loss
  const Shape& held = v.held_labels.size;  // crops need 4 voxels an axis
  if (v.has_held_out() && *std::min_element(held.begin(), held.end()) >= 4) {
    // The held-out slices also give the validation loss.
    with_run.validation_raw = v.held_raw;
    with_run.validation_labels = v.held_labels;
  }
  AffinityModel m = train_affinity_model(v.raw, v.labels, with_run, &comm);
  TrainingReport report{v.held_out, std::nullopt};
  if (comm.rank() != 0) return report;
  if (v.has_held_out()) report.chosen = choose_settings(m, v, t.grid, log);
  save_affinity_model(t.output, m);  // one checkpoint
  return report;
}

namespace {

// What predict records on an affinity volume: its channels' offsets and the model's settings.
std::map<std::string, std::string> affinity_attributes(const AffinityModel& m) {
  nlohmann::json offsets = nlohmann::json::array();
  for (const Offset& o : m.offsets) offsets.push_back({o.z, o.y, o.x});
  std::map<std::string, std::string> a{{kOffsetsAttribute, offsets.dump()}};
  if (m.segmentation) a[kSettingsAttribute] = to_json(*m.segmentation).dump();
  return a;
}

// `output`: the setting that names the affinities (run calls them "affinities").
CommandPaths prediction_paths(const AffinityPrediction& p, const std::string& output = "output") {
  CommandPaths paths{.inputs = {{"model", p.model}, {"raw", volume_file(p.raw)}}};
  add_volume_output(paths, output, p.output);
  return paths;
}

// The segmentation's outputs, one per threshold (output_for_threshold) when there are several.
CommandPaths segmentation_paths(const AffinitySegmentation& s,
                                const std::vector<std::string>& outputs) {
  CommandPaths paths{.inputs = {{"affinities", volume_file(s.affinities)}},
                     .output_files = {{"preview", s.preview}}};
  if (!s.raw.empty()) paths.inputs.push_back({"raw", volume_file(s.raw)});
  for (const std::string& out : outputs) add_volume_output(paths, "output", out);
  return paths;
}

std::vector<std::string> segmentation_outputs(const std::string& output,
                                              const std::vector<double>& thresholds) {
  std::vector<std::string> outputs;
  for (double t : thresholds)
    outputs.push_back(thresholds.size() <= 1 ? output : output_for_threshold(output, t));
  return outputs.empty() ? std::vector<std::string>{output} : outputs;
}

}  // namespace

PredictionReport predict_affinities(const AffinityPrediction& p) {
  check_outputs_spare_inputs(prediction_paths(p));
  AffinityModel model = load_affinity_model(p.model);
  auto source = open_volume(p.raw);
  VolumeInfo info = source->info();
  if (info.channels != 1 || info.size.size() != 3)
    throw std::invalid_argument(p.raw + ": expected a single-channel 3D volume, got " +
                                std::to_string(info.channels) + " x " + to_string(info.size));
  info.attributes = affinity_attributes(model);
  set_compute_type(*model.unet, p.precision);  // the normalisation stays float32
  auto net = prediction_network(std::move(model));
  move_to(*net, p.device);
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

namespace {

nlohmann::json parse_attribute(const VolumeInfo& info, const char* name, const std::string& spec) {
  try {
    return nlohmann::json::parse(info.attributes.at(name));
  } catch (const nlohmann::json::exception&) {
    throw std::invalid_argument(spec + ": attribute '" + name + "' is not valid JSON");
  }
}

// The segmentation reads channels 0..2 as the -z, -y, -x affinities: refuse a file whose
// recorded offsets say otherwise.
void check_recorded_offsets(const VolumeInfo& info, const std::string& spec) {
  if (!info.attributes.count(kOffsetsAttribute)) return;
  const nlohmann::json offsets = parse_attribute(info, kOffsetsAttribute, spec);
  const nlohmann::json nearest = {{-1, 0, 0}, {0, -1, 0}, {0, 0, -1}};
  if (!offsets.is_array() || offsets.size() != size_t(info.channels) || offsets.size() < 3 ||
      nlohmann::json(offsets.begin(), offsets.begin() + 3) != nearest)
    throw std::invalid_argument(spec + ": the recorded offsets " + offsets.dump() + " of its " +
                                std::to_string(info.channels) +
                                " channels do not start with the nearest neighbours " +
                                nearest.dump() + " that the segmentation reads");
}

std::string with_source(const char* what, bool given, bool recorded) {
  return std::string(what) + (given ? " given" : recorded ? " chosen by train" : " default");
}

}  // namespace

std::pair<VolumeSegmentOptions, std::string> resolve_segmentation_settings(
    const SegmentationRequest& request, const VolumeInfo& affinities, const std::string& spec) {
  check_recorded_offsets(affinities, spec);
  const bool recorded = affinities.attributes.count(kSettingsAttribute) > 0;
  const SegmentationSettings stored =
      recorded ? segmentation_settings_from_json(
                     parse_attribute(affinities, kSettingsAttribute, spec), spec)
               : SegmentationSettings{};
  VolumeSegmentOptions o;
  o.watershed.threshold = request.boundary_threshold.value_or(stored.watershed.threshold);
  o.watershed.seed_height = request.seed_height.value_or(stored.watershed.seed_height);
  o.thresholds =
      request.thresholds.empty() ? std::vector<double>{stored.threshold} : request.thresholds;
  const std::string source =
      with_source("threshold", !request.thresholds.empty(), recorded) + ", " +
      with_source("boundary threshold", request.boundary_threshold.has_value(), recorded) + ", " +
      with_source("seed height", request.seed_height.has_value(), recorded);
  return {o, source};
}

SegmentationReport segment_affinities(const AffinitySegmentation& s) {
  if (!s.preview.empty() && s.raw.empty())
    throw SettingError("preview", "needs the raw volume (raw) to draw on");
  auto source = open_volume(s.affinities);
  const VolumeInfo& info = source->info();
  SegmentationReport report;
  std::tie(report.used, report.settings_source) =
      resolve_segmentation_settings(s.settings, info, s.affinities);
  report.used.slab = s.slab;
  report.used.max_memory = s.max_memory;
  const std::vector<double>& thresholds = report.used.thresholds;
  report.outputs = segmentation_outputs(s.output, thresholds);
  for (const std::string& out : report.outputs) check_label_format(out);
  check_outputs_spare_inputs(segmentation_paths(s, report.outputs));
  std::vector<std::unique_ptr<VolumeSink>> sinks;
  std::vector<VolumeSink*> outputs;
  for (const std::string& spec : report.outputs) {
    sinks.push_back(create_volume(spec, {.channels = 1, .size = info.size, .spacing = info.spacing},
                                  1, "uint64"));
    outputs.push_back(sinks.back().get());
  }
  report.volume = segment_volume(*source, outputs, report.used);
  for (auto& sink : sinks) sink->commit();
  if (!s.preview.empty()) {
    auto raw = open_volume(s.raw);
    auto seg = open_volume(report.outputs.front());
    std::ostringstream caption;
    caption << "threshold " << thresholds.front() << ", boundary threshold "
            << report.used.watershed.threshold << ", seed height "
            << report.used.watershed.seed_height;
    write_segmentation_preview(s.preview, *raw, *seg, 3, caption.str());
  }
  return report;
}

PipelineReport predict_and_segment(AffinityPrediction p, AffinitySegmentation s) {
  if (p.output.empty()) p.output = affinities_beside(s.output);
  s.affinities = p.output;
  s.raw = p.raw;
  // Both steps' paths before the first starts: the segmentation's outputs must spare the raw
  // volume, the model and the affinities too.
  CommandPaths all = prediction_paths(p, "affinities");
  const CommandPaths seg =
      segmentation_paths(s, segmentation_outputs(s.output, s.settings.thresholds));
  all.output_files.insert(all.output_files.end(), seg.output_files.begin(), seg.output_files.end());
  all.output_folders.insert(all.output_folders.end(), seg.output_folders.begin(),
                            seg.output_folders.end());
  check_outputs_spare_inputs(all);
  PipelineReport r;
  r.prediction = predict_affinities(p);
  r.segmentation = segment_affinities(s);
  return r;
}

std::string sweep_beside(const std::string& scores_path) {
  const fs::path p(scores_path);
  return (p.parent_path() / (p.stem().string() + "_sweep.csv")).string();
}

namespace {

// Every threshold of the sweep with the seeding the affinity file records (else the default).
std::vector<SettingsTrial> sweep_file(const std::string& affinities, const LabelVolume& truth) {
  auto source = open_volume(affinities);
  const VolumeInfo info = source->info();
  const VolumeSegmentOptions seeding = resolve_segmentation_settings({}, info, affinities).first;
  if (info.size != truth.size)
    throw std::invalid_argument("affinities " + to_string(info.size) + " and truth " +
                                to_string(truth.size) + " differ in size");
  SettingsGrid grid;
  grid.boundary_thresholds = {seeding.watershed.threshold};
  grid.seed_heights = {seeding.watershed.seed_height};
  return sweep_settings(source->read(Region::whole(info.size)), truth, grid);
}

}  // namespace

EvaluationReport evaluate_files(const Evaluation& e) {
  if (e.segmentation.empty() && e.affinities.empty())
    throw SettingError("segmentation", "give a segmentation or affinities to evaluate");
  auto file_of = [](const std::string& spec) { return spec.empty() ? "" : volume_file(spec); };
  check_outputs_spare_inputs(
      {.inputs = {{"truth", file_of(e.truth)},
                  {"segmentation", file_of(e.segmentation)},
                  {"affinities", file_of(e.affinities)}},
       .output_files = {
           {"output", e.output},
           {"output", e.output.empty() || e.affinities.empty() ? "" : sweep_beside(e.output)}}});
  const LabelVolume truth = read_labels(e.truth);
  EvaluationReport r;
  r.scores = nlohmann::json::object();
  if (!e.segmentation.empty())
    r.scores = to_json(evaluate_segmentation(read_labels(e.segmentation), truth));
  if (!e.affinities.empty()) {
    r.sweep = sweep_file(e.affinities, truth);
    const SettingsTrial& best = best_trial(r.sweep);
    r.scores["best_threshold"] = best.settings.threshold;
    r.scores["at_best_threshold"] = to_json(best.scores);
  }
  if (e.output.empty()) return r;
  OutputSet out;  // the scores and their sweep table together
  if (!r.sweep.empty())
    write_sweep_csv(out.temp_for(r.sweep_csv = sweep_beside(e.output)), r.sweep);
  out.add_text(e.output, r.scores.dump(2) + "\n");
  out.commit();
  return r;
}

}  // namespace tessera::connectomics
