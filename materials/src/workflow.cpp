#include "tessera/materials/workflow.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <stdexcept>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "image_folder.hpp"
#include "tessera/formats/csv_table.hpp"
#include "tessera/io/atomic_file.hpp"
#include "tessera/io/output_check.hpp"
#include "tessera/io/settings.hpp"
#include "tessera/materials/presence_tags.hpp"

namespace tessera::materials {

namespace fs = std::filesystem;

namespace {

double number_in(const formats::CsvTable& t, const formats::CsvRow& row, int column) {
  const std::string& cell = row.cells[size_t(column)];
  if (cell.empty()) return 0;
  const std::optional<double> v = number_in_cell(cell);
  if (!v || !(*v > 0))
    t.fail(row.line, t.header[size_t(column)] + ": '" + cell + "' is not a positive number");
  return *v;
}

// A tag's region in the resampled micrograph (the whole of it when the tag names none), clipped
// to what the data-bar crop left.
cv::Mat region_pixels(const Micrograph& original, const Micrograph& resampled, const RegionTag& t) {
  if (t.region.empty()) return resampled.pixels;
  const double s = double(resampled.pixels.cols) / original.pixels.cols;
  cv::Rect r(int(std::lround(t.region.x * s)), int(std::lround(t.region.y * s)),
             int(std::lround(t.region.width * s)), int(std::lround(t.region.height * s)));
  r &= cv::Rect(0, 0, resampled.pixels.cols, resampled.pixels.rows);
  return resampled.pixels(r);
}

// Whether `path` is a YAML file (a classical segmenter) rather than a checkpoint.
bool is_yaml(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char head[5] = {};
  in.read(head, 5);
  return std::string(head, 5) == "%YAML";
}

// The phase map of a micrograph by whichever segmenter `path` holds; `phases` gets its phases.
std::function<cv::Mat(const Micrograph&)> load_segmenter(const std::string& path,
                                                         const SegmentOptions& o,
                                                         std::vector<std::string>& phases) {
  if (is_yaml(path)) {
    auto s = std::make_shared<ClassicalSegmenter>(load_classical_segmenter(path));
    phases = s->phases;
    return [s](const Micrograph& m) {
      return mapped_at(m, s->um_per_px,
                       [&](const cv::Mat& px) { return classical_phase_map(*s, px); });
    };
  }
  auto s = std::make_shared<PhaseSegmenter>(load_phase_segmenter(path));
  set_compute_type(*s->unet, o.precision);
  move_to(*s->unet, o.device);
  phases = s->phases;
  return [s, o](const Micrograph& m) { return segment_micrograph(*s, m, o); };
}

}  // namespace

int image_column(const formats::CsvTable& t) {
  const int name = t.column({"name", "image", "file", "filename"});
  if (name < 0) t.fail(t.header_line, "no image column (name, image, file or filename)");
  return name;
}

std::map<std::string, ImageFacts> read_image_facts(const std::string& path,
                                                   const std::string& specimen_column) {
  const formats::CsvTable t = formats::read_csv_table(path, {.delimiter = 0});
  const int name = image_column(t);
  const int size = t.column({"um_per_px", "um_per_px_stored", "pixel_size_um"});
  const int specimen = specimen_column.empty() ? t.column({"specimen", "sample_key", "sample"})
                                               : t.column({specimen_column});
  if (specimen < 0 && !specimen_column.empty())
    t.fail(t.header_line, "no column '" + specimen_column + "'");
  std::map<std::string, ImageFacts> out;
  for (const formats::CsvRow& row : t.rows) {
    const std::string stem = fs::path(row.cells[size_t(name)]).stem().string();
    ImageFacts f{size >= 0 ? number_in(t, row, size) : 0,
                 specimen >= 0 ? row.cells[size_t(specimen)] : std::string()};
    if (!out.emplace(stem, f).second) t.fail(row.line, "'" + stem + "' is listed twice");
  }
  return out;
}

TrainingRegions read_training_regions(const SegmenterTraining& t) {
  CommandPaths paths{
      .inputs = {{"images", t.inputs.images}, {"tags", t.tags}, {"metadata", t.inputs.metadata}},
      .output_files = {{"output", t.output}}};
  add_run_paths(paths, t.train.run, t.output);
  check_outputs_spare_inputs(paths);
  const PresenceTags tags = read_presence_tags(t.tags);
  const auto facts = facts_of(t.inputs);
  std::map<std::string, std::string> files = image_files_by_stem(t.inputs.images, "micrographs");
  std::map<std::string, Micrograph> images;
  for (const RegionTag& tag : tags.tags) {
    const std::string stem = fs::path(tag.image).stem().string();
    if (!files.count(stem))
      formats::fail_at(t.tags, tag.line, "no image '" + tag.image + "' in " + t.inputs.images);
    if (!images.count(stem)) images[stem] = read_input(files[stem], stem, t.inputs, facts);
  }
  std::vector<double> sizes;
  for (const auto& [stem, m] : images) sizes.push_back(m.um_per_px);
  TrainingRegions out{
      {}, tags.phases, common_pixel_size(sizes, t.target_um_per_px, "tagged images")};
  std::map<std::string, Micrograph> resampled;
  for (const auto& [stem, m] : images)
    resampled[stem] = out.um_per_px > 0 ? resample_to(m, out.um_per_px) : m;
  for (const RegionTag& tag : tags.tags) {
    const std::string stem = fs::path(tag.image).stem().string();
    out.regions.push_back({region_pixels(images[stem], resampled[stem], tag), tag.present,
                           tag.image + " (" + t.tags + " line " + std::to_string(tag.line) + ")"});
  }
  return out;
}

PhaseSegmenter train_segmenter_from_files(const SegmenterTraining& t) {
  const TrainingRegions r = read_training_regions(t);
  SegmenterTrainOptions o = t.train;
  o.run.output = t.output;
  if (!t.background.empty()) {
    const auto it = std::find(r.phases.begin(), r.phases.end(), t.background);
    if (it == r.phases.end())
      throw SettingError("background",
                         "'" + t.background + "' is not one of the phases of " + t.tags);
    o.background = int(it - r.phases.begin());
  }
  PhaseSegmenter s = train_phase_segmenter(r.regions, r.phases, o);
  s.um_per_px = r.um_per_px;
  save_phase_segmenter(t.output, s);
  return s;
}

ClassicalSegmenter train_classical_from_files(const SegmenterTraining& t,
                                              const std::string& method) {
  const TrainingRegions r = read_training_regions(t);
  ClassicalSegmenter s =
      train_classical_segmenter(r.regions, r.phases, method, {.seed = t.train.seed});
  s.um_per_px = r.um_per_px;
  save_classical_segmenter(t.output, s);
  return s;
}

cv::Mat phase_overlay(const cv::Mat& pixels, const cv::Mat& labels) {
  static const cv::Vec3b colours[] = {{0, 0, 0},     {40, 40, 230},  {230, 160, 40},
                                      {60, 200, 60}, {200, 60, 200}, {40, 200, 230}};
  cv::Mat grey8, bgr;
  pixels.convertTo(grey8, CV_8U, 255);
  cv::cvtColor(grey8, bgr, cv::COLOR_GRAY2BGR);
  for (int y = 0; y < bgr.rows; ++y)
    for (int x = 0; x < bgr.cols; ++x) {
      const int l = labels.at<uint8_t>(y, x);
      if (l == 0) continue;
      const cv::Vec3b c = colours[size_t(1 + (l - 1) % 5)];
      cv::Vec3b& p = bgr.at<cv::Vec3b>(y, x);
      for (int k = 0; k < 3; ++k) p[k] = uint8_t((p[k] + c[k]) / 2);
    }
  return bgr;
}

std::string phase_fractions_csv(const std::vector<std::string>& phases,
                                const std::vector<std::string>& images,
                                const std::vector<std::string>& specimens,
                                const std::vector<std::vector<double>>& fractions) {
  std::string out = "image,specimen";
  for (const std::string& p : phases) out += "," + p;
  for (const std::string& p : phases) out += "," + p + "_sd";
  out += "\n";
  char cell[32];
  auto add = [&](std::string& line, double x) {
    std::snprintf(cell, sizeof cell, ",%.4f", x);
    line += cell;
  };
  std::map<std::string, std::vector<size_t>> by_specimen;
  for (size_t i = 0; i < images.size(); ++i) {
    std::string line = formats::csv_field(images[i]) + "," + formats::csv_field(specimens[i]);
    for (double f : fractions[i]) add(line, f);
    out += line + std::string(phases.size(), ',') + "\n";
    if (!specimens[i].empty()) by_specimen[specimens[i]].push_back(i);
  }
  for (const auto& [specimen, rows] : by_specimen) {
    std::string line =
        "mean of " + std::to_string(rows.size()) + "," + formats::csv_field(specimen);
    std::vector<double> mean(phases.size(), 0), sd(phases.size(), 0);
    for (size_t p = 0; p < phases.size(); ++p) {
      for (size_t i : rows) mean[p] += fractions[i][p] / double(rows.size());
      for (size_t i : rows) sd[p] += std::pow(fractions[i][p] - mean[p], 2);
      sd[p] = rows.size() > 1 ? std::sqrt(sd[p] / double(rows.size() - 1)) : 0;
    }
    for (double m : mean) add(line, m);
    for (double s : sd) add(line, s);
    out += line + "\n";
  }
  return out;
}

SegmentationReport segment_folder(const PhaseSegmentation& p) {
  check_outputs_spare_inputs(
      {.inputs = {{"model", p.model}, {"images", p.inputs.images}, {"metadata", p.inputs.metadata}},
       .output_folders = {{"output", p.output}}});
  std::vector<std::string> phases;
  const auto segment = load_segmenter(p.model, p.segment, phases);
  const auto facts = facts_of(p.inputs);
  OutputSet out;
  const fs::path folder(out.temp_folder_for(p.output));
  SegmentationReport r;
  std::vector<std::string> specimens;
  std::vector<std::vector<double>> fractions;
  for (const auto& [stem, path] : images_by_stem(p.inputs.images, "micrographs")) {
    const Micrograph m = read_input(path, stem, p.inputs, facts);
    const cv::Mat labels = segment(m);
    for (const auto& [file, image] :
         {std::pair{stem + ".png", labels},
          std::pair{stem + "_overlay.png", phase_overlay(m.pixels, labels)}})
      if (!cv::imwrite((folder / file).string(), image))
        throw std::runtime_error((fs::path(p.output) / file).string() + ": cannot write");
    std::vector<double> f(phases.size(), 0);
    for (size_t c = 0; c < f.size(); ++c)
      f[c] = double(cv::countNonZero(labels == int(c))) / double(labels.total());
    fractions.push_back(f);
    const auto it = facts.find(stem);
    specimens.push_back(it == facts.end() ? "" : it->second.specimen);
    r.images.push_back(stem);
  }
  r.fractions_csv = phase_fractions_csv(phases, r.images, specimens, fractions);
  write_bytes((folder / "phase_fractions.csv").string(), r.fractions_csv,
              (fs::path(p.output) / "phase_fractions.csv").string());
  out.commit();
  return r;
}

}  // namespace tessera::materials
