#include "tessera/materials/property_workflow.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <set>
#include <stdexcept>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "image_folder.hpp"
#include "tessera/formats/csv_table.hpp"
#include "tessera/io/atomic_file.hpp"
#include "tessera/io/output_check.hpp"
#include "tessera/materials/evidence_map.hpp"

namespace tessera::materials {

namespace fs = std::filesystem;

namespace {

struct TargetRow {
  std::string stem;
  std::string value;
  int64_t line = 0;
};

// The rows of `table` with a value in `column`, by image stem.
std::vector<TargetRow> target_rows(const std::string& table, const std::string& column) {
  const formats::CsvTable t = formats::read_csv_table(table, {.delimiter = 0});
  const int name = image_column(t), target = t.column({column});
  if (target < 0) t.fail(t.header_line, "no column '" + column + "'");
  std::vector<TargetRow> out;
  for (const formats::CsvRow& row : t.rows)
    if (!row.cells[size_t(target)].empty())
      out.push_back(
          {fs::path(row.cells[size_t(name)]).stem().string(), row.cells[size_t(target)], row.line});
  if (out.empty()) t.fail(t.header_line, "no image has a value in '" + column + "'");
  return out;
}

// What the column holds: its classes in natural order, or none for a number.
PropertyTarget target_of(const std::vector<TargetRow>& rows, const PropertyTraining& t) {
  std::set<std::string> values;
  bool numbers = true;
  for (const TargetRow& r : rows)
    values.insert(r.value), numbers = numbers && number_in_cell(r.value);
  for (const TargetRow& r : rows)
    if (t.kind == TargetKind::number && !number_in_cell(r.value))
      formats::fail_at(t.table, r.line, t.target + ": '" + r.value + "' is not a number");
  const bool category = t.kind == TargetKind::category ||
                        (t.kind == TargetKind::automatic && (!numbers || values.size() == 2));
  PropertyTarget out{t.target, {}};
  if (category) {
    out.classes.assign(values.begin(), values.end());
    std::sort(out.classes.begin(), out.classes.end(), formats::natural_less);
    if (out.classes.size() < 2)
      throw std::runtime_error(t.table + ": '" + t.target + "' holds only one class, '" +
                               out.classes[0] + "'");
  }
  return out;
}

double target_value(const PropertyTarget& target, const std::string& value) {
  if (!target.categorical()) return *number_in_cell(value);
  return double(std::find(target.classes.begin(), target.classes.end(), value) -
                target.classes.begin());
}

std::string number_cell(double x) {
  char cell[32];
  std::snprintf(cell, sizeof cell, "%.6g", x);
  return cell;
}

// The header and a row of predictions.csv / specimens.csv: the prediction, then its interval
// (a number) or its prediction set and the probability of every class (a category).
std::string prediction_header(const PropertyModel& m) {
  if (!m.target.categorical()) return "prediction,lower,upper";
  std::string out = "prediction,set";
  for (const std::string& c : m.target.classes) out.append(",p_").append(c);
  return out;
}

std::string prediction_cells(const PropertyModel& m, const ImagePrediction& p, double width,
                             double threshold) {
  if (!m.target.categorical())
    return number_cell(p.value)
        .append(",")
        .append(number_cell(p.value - width))
        .append(",")
        .append(number_cell(p.value + width));
  std::string set;
  for (int c : prediction_set(p.probabilities, threshold))
    set.append(set.empty() ? "" : "|").append(m.target.classes[size_t(c)]);
  std::string out =
      formats::csv_field(m.target.classes[size_t(p.best)]) + "," + formats::csv_field(set);
  for (double q : p.probabilities) out.append(",").append(number_cell(q));
  return out;
}

// `map` laid over `frame` where `window` says it belongs, zero elsewhere.
cv::Mat placed(const cv::Mat& map, cv::Size frame, const cv::Rect& window) {
  cv::Mat full = cv::Mat::zeros(frame, CV_32F), resized;
  cv::resize(map, resized, window.size(), 0, 0, cv::INTER_LINEAR);
  const cv::Rect inside = window & cv::Rect({0, 0}, frame);
  resized(inside - window.tl()).copyTo(full(inside));
  return full;
}

// The Grad-CAM of the prediction (the most probable class, or the number) over the whole
// micrograph: the map fills the window the model read, nothing outside it.
cv::Mat evidence_image(PropertyModel& m, const ImagePrediction& p, const ModelInput& input,
                       const cv::Mat& micrograph) {
  const cv::Mat map = grad_cam(m.head(), p.features, m.target.categorical() ? p.best : 0);
  const cv::Mat on_input = placed(map, input.pixels.size(), p.window);
  return evidence_overlay(micrograph, placed(on_input, micrograph.size(), input.window));
}

}  // namespace

PropertyModel train_property_from_files(const PropertyTraining& t) {
  CommandPaths paths{
      .inputs = {{"images", t.inputs.images}, {"table", t.table}, {"metadata", t.inputs.metadata}},
      .output_files = {{"output", t.output}}};
  add_run_paths(paths, t.train.run, t.output);
  check_outputs_spare_inputs(paths);
  const std::vector<TargetRow> rows = target_rows(t.table, t.target);
  const PropertyTarget target = target_of(rows, t);
  const auto groups = read_image_facts(t.table, t.group);
  const auto sizes = t.inputs.metadata.empty() ? groups : read_image_facts(t.inputs.metadata);
  std::map<std::string, std::string> files = image_files_by_stem(t.inputs.images, "micrographs");
  std::vector<Micrograph> micrographs;
  std::vector<double> pixel_sizes;
  for (const TargetRow& r : rows) {
    if (!files.count(r.stem))
      formats::fail_at(t.table, r.line, "no image '" + r.stem + "' in " + t.inputs.images);
    if (groups.at(r.stem).specimen.empty())
      formats::fail_at(t.table, r.line, r.stem + " has no specimen");
    micrographs.push_back(read_input(files[r.stem], r.stem, t.inputs, sizes));
    pixel_sizes.push_back(micrographs.back().um_per_px);
  }
  const double common = common_pixel_size(pixel_sizes, t.target_um_per_px, "images");
  std::vector<PropertyImage> images;
  for (size_t i = 0; i < rows.size(); ++i)
    images.push_back({micrograph_at(micrographs[i], common).pixels,
                      groups.at(rows[i].stem).specimen, rows[i].stem,
                      target_value(target, rows[i].value)});
  micrographs.clear();
  PropertyTrainOptions o = t.train;
  o.run.output = t.output;
  PropertyModel m = train_property_model(images, target, o);
  m.um_per_px = common;
  save_property_model(t.output, m);
  return m;
}

PredictionReport predict_folder(const PropertyPrediction& p) {
  check_outputs_spare_inputs(
      {.inputs = {{"model", p.model}, {"images", p.inputs.images}, {"metadata", p.inputs.metadata}},
       .output_folders = {{"output", p.output}}});
  PropertyModel m = load_property_model(p.model);
  if (m.net) {
    set_compute_type(*m.net, p.precision);
    move_to(*m.net, p.device);
  }
  const auto facts = p.inputs.metadata.empty() ? std::map<std::string, ImageFacts>{}
                                               : read_image_facts(p.inputs.metadata, p.group);
  OutputSet out;
  const fs::path folder(out.temp_folder_for(p.output));
  const PropertyIntervals& iv = m.intervals;
  PredictionReport r;
  r.images_csv = "image,specimen," + prediction_header(m) + "\n";
  std::map<std::string, std::vector<ImagePrediction>> by_specimen;
  for (const auto& [stem, path] : images_by_stem(p.inputs.images, "micrographs")) {
    const Micrograph micrograph = read_input(path, stem, p.inputs, facts);
    const ModelInput input = micrograph_at(micrograph, m.um_per_px);
    ImagePrediction one = predict_image(m, input.pixels);
    const std::string file = stem + "_evidence.png";
    if (m.method == "network" &&
        !cv::imwrite((folder / file).string(), evidence_image(m, one, input, micrograph.pixels)))
      throw std::runtime_error((fs::path(p.output) / file).string() + ": cannot write");
    one.features = one.scores = Tensor();
    const auto it = facts.find(stem);
    const std::string specimen = it == facts.end() ? "" : it->second.specimen;
    r.images_csv += formats::csv_field(stem) + "," + formats::csv_field(specimen) + "," +
                    prediction_cells(m, one, iv.image_half_width, iv.image_threshold) + "\n";
    if (!specimen.empty()) by_specimen[specimen].push_back(std::move(one));
    r.images.push_back(stem);
  }
  r.specimens_csv = "specimen,images," + prediction_header(m) + "\n";
  for (const auto& [specimen, predictions] : by_specimen)
    r.specimens_csv += formats::csv_field(specimen) + "," + std::to_string(predictions.size()) +
                       "," +
                       prediction_cells(m, specimen_prediction(m, predictions),
                                        iv.specimen_half_width, iv.specimen_threshold) +
                       "\n";
  for (const auto& [file, text] :
       {std::pair{"predictions.csv", r.images_csv}, std::pair{"specimens.csv", r.specimens_csv}})
    write_bytes((folder / file).string(), text, (fs::path(p.output) / file).string());
  out.commit();
  return r;
}

}  // namespace tessera::materials
