#include "tessera/ecology/workflow.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>

#include <opencv2/imgcodecs.hpp>

#include "tessera/ecology/capture_info.hpp"
#include "tessera/ecology/data_yaml.hpp"
#include "tessera/ecology/detection_files.hpp"
#include "tessera/ecology/detection_metrics.hpp"
#include "tessera/ecology/photos.hpp"
#include "tessera/formats/line_plot.hpp"
#include "tessera/io/atomic_file.hpp"
#include "tessera/io/output_check.hpp"
#include "tessera/io/settings.hpp"

namespace tessera::ecology {

namespace fs = std::filesystem;

namespace {

bool is_yolo(const std::string& annotations) {
  return fs::is_directory(annotations) || fs::path(annotations).extension() == ".txt";
}

// The data.yaml that names the photos and their labels, when one of the two is one; else "".
std::string data_yaml_of(const std::string& images, const std::string& annotations) {
  if (is_data_yaml(annotations)) return annotations;
  if (annotations.empty() && is_data_yaml(images)) return images;
  return "";
}

// `files` under `folder` as images 1..n, their sizes read from the photos themselves.
std::vector<ImageInfo> measured_photos(const std::string& folder,
                                       const std::vector<std::string>& files) {
  std::vector<ImageInfo> infos;
  for (const std::string& file : files) {
    const cv::Mat m = read_photo((fs::path(folder) / file).string());
    infos.push_back({int64_t(infos.size()) + 1, file, m.cols, m.rows});
  }
  return infos;
}

// The photos of one split of a data.yaml with the labels beside them (images/ -> labels/).
Dataset data_yaml_dataset(const std::string& yaml, const std::string& split) {
  const YoloData y = read_data_yaml(yaml);
  const auto folders = y.splits.find(split);
  if (folders == y.splits.end())
    throw std::runtime_error(yaml + ": names no '" + split + "' folder of photos");
  std::vector<std::string> files, labels;
  for (const std::string& folder : folders->second) {
    if (!fs::is_directory(fs::path(y.root) / folder))
      throw std::runtime_error(yaml + ": " + split + ": " + folder +
                               " is not a folder of photos under " + y.root);
    for (const std::string& file : list_photos((fs::path(y.root) / folder).string())) {
      files.push_back((fs::path(folder) / file).generic_string());
      labels.push_back(yolo_label_path((fs::path(y.root) / files.back()).string()));
      if (labels.back().empty())
        throw std::runtime_error(yaml + ": photo " + files.back() +
                                 " is not in an images/ folder, so it has no labels/ folder");
    }
  }
  return read_yolo_labels(measured_photos(y.root, files), labels, y.names);
}

}  // namespace

Dataset read_annotations(const std::string& annotations, const std::string& images,
                         const std::string& split) {
  const std::string yaml = data_yaml_of(images, annotations);
  if (!yaml.empty()) return data_yaml_dataset(yaml, split);
  if (annotations.empty())
    throw SettingError("annotations", "missing: give COCO JSON, YOLO labels or a data.yaml");
  if (!fs::exists(annotations)) throw std::runtime_error(annotations + ": no such file");
  if (!is_yolo(annotations)) return read_coco(annotations);
  const std::string folder =
      fs::is_directory(annotations) ? annotations : fs::path(annotations).parent_path().string();
  return read_yolo(folder, measured_photos(photo_folder(images), list_photos(images)));
}

std::string photo_root(const std::string& images, const std::string& annotations) {
  const std::string yaml = data_yaml_of(images, annotations);
  return yaml.empty() ? photo_folder(images) : read_data_yaml(yaml).root;
}

std::vector<ImageInfo> photo_list(const std::string& images, const std::string& annotations) {
  if (!annotations.empty() || !data_yaml_of(images, annotations).empty())
    return read_annotations(annotations, images, "val").images;
  std::vector<ImageInfo> infos;
  for (const std::string& file : list_photos(images))
    infos.push_back({int64_t(infos.size()) + 1, file, 0, 0});
  return infos;
}

// ---- train ----

namespace {

void describe_training_data(std::ostream& log, const Dataset& d,
                            const std::vector<Category>& classes) {
  log << "reading " << d.images.size() << " photos with " << d.annotations.size() << " boxes in "
      << d.categories.size() << " categories\n";
  for (const Category& c : d.categories)
    if (std::none_of(classes.begin(), classes.end(),
                     [&](const Category& k) { return k.id == c.id; }))
      log << "  category " << c.id << " '" << c.name << "' has no boxes: left out\n";
}

}  // namespace

Detector train_from_folder(const DetectorTraining& t) {
  CommandPaths paths{.inputs = {{"images", t.images}, {"annotations", t.annotations}},
                     .output_files = {{"output", t.output}}};
  add_run_paths(paths, t.train.run, t.output);
  check_outputs_spare_inputs(paths);
  const Dataset d = read_annotations(t.annotations, t.images, "train");
  const std::vector<Category> classes = annotated_categories(d);
  if (t.log) describe_training_data(*t.log, d, classes);
  const std::vector<TrainingPhoto> photos = training_photos(d, photo_root(t.images, t.annotations));
  DetectorTrainOptions o = t.train;
  if (t.log) {
    *t.log << "training a centre-heatmap U-Net (channels "
           << tessera::to_string(Shape(o.channels.begin(), o.channels.end())) << ") with "
           << o.optimizer << ", " << o.steps << " steps of " << o.batch << " crops of " << o.patch
           << " px" << std::endl;
  }
  o.run.output = t.output;  // the run folder and its checkpoints go beside the model
  o.run.log = t.log;        // the loss every few steps, the validation loss
  Detector det = train_detector(photos, classes, o);
  save_detector(t.output, det);
  return det;
}

// ---- detect ----

DetectionRun detect_photos(const PhotoDetection& d, std::vector<ImageInfo> photos) {
  DetectionRun r{load_detector(d.model), std::move(photos), {}, 0};
  r.score_threshold = d.score_threshold >= 0 ? d.score_threshold : r.detector.score_threshold;
  set_compute_type(*r.detector.unet, d.precision);
  move_to(*r.detector.unet, d.device);
  const std::string folder = photo_root(d.images, d.annotations);
  for (ImageInfo& info : r.images) {
    const cv::Mat bgr = read_annotated_photo(folder, info);
    info.width = bgr.cols, info.height = bgr.rows;
    const auto boxes = detect_photo(r.detector, bgr, info.id, d.detect);
    const auto counted = std::count_if(boxes.begin(), boxes.end(), [&](const Annotation& a) {
      return a.score >= r.score_threshold;
    });
    if (d.log) *d.log << "  " << info.file_name << ": " << counted << " insects" << std::endl;
    r.detections.insert(r.detections.end(), boxes.begin(), boxes.end());
  }
  return r;
}

namespace {

// Each photo with its boxes, as JPEG under the photo's own name (".jpg" added to other types,
// so that a.png and a.jpg stay two files).
void draw_photos(const std::string& images, const DetectionRun& r, const fs::path& folder) {
  std::map<int64_t, std::vector<Annotation>> by_image;
  for (const Annotation& a : r.detections) by_image[a.image_id].push_back(a);
  for (const ImageInfo& info : r.images) {
    const cv::Mat drawn =
        draw_detections(read_photo((fs::path(images) / info.file_name).string()), by_image[info.id],
                        r.detector.categories, r.score_threshold);
    std::string ext = fs::path(info.file_name).extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), ::tolower);
    // Names stay inside the photo folder (read_coco refuses others), so drawings stay in theirs.
    const fs::path name = fs::path(info.file_name).lexically_normal();
    const fs::path file =
        folder / (name.string() + (ext == ".jpg" || ext == ".jpeg" ? "" : ".jpg"));
    fs::create_directories(file.parent_path());
    if (!cv::imwrite(file.string(), drawn, {cv::IMWRITE_JPEG_QUALITY, 90}))
      throw std::runtime_error(file.string() + ": cannot write");
  }
}

}  // namespace

FolderDetectionReport detect_folder(const FolderDetection& f) {
  const PhotoDetection& d = f.detection;
  check_outputs_spare_inputs(
      {.inputs = {{"images", d.images}, {"annotations", d.annotations}, {"model", d.model}},
       .output_folders = {{"output", f.output}}});
  std::vector<ImageInfo> photos = photo_list(d.images, d.annotations);
  const DetectionRun r = detect_photos(d, std::move(photos));
  // One folder, merged into place as a whole: an annotated/ of an earlier run is kept when this
  // run draws none.
  AtomicFolder out(f.output);
  const fs::path dir(out.temp_path());
  if (f.annotated) draw_photos(photo_root(d.images, d.annotations), r, dir / "annotated");
  write_coco_results((dir / "detections.json").string(), r.detections);
  write_bytes((dir / "detections.csv").string(),
              detections_csv(r.images, r.detector.categories, r.detections, r.score_threshold),
              f.output);
  write_bytes((dir / "photos.json").string(),
              detection_photos_json({{r.images, r.detector.categories, {}}, r.score_threshold}),
              f.output);
  out.commit();
  return {r.detections.size(), r.images.size()};
}

// ---- count ----

namespace {

struct CaptureSettings {
  std::optional<FileNamePattern> pattern;
  std::optional<CaptureTable> table;
  bool exif = true;
  CaptureSources sources() const {
    return {table ? &*table : nullptr, pattern ? &*pattern : nullptr, exif};
  }
};

}  // namespace

CountReport count_photos(const PhotoCounting& c) {
  const PhotoDetection& d = c.detection;
  check_outputs_spare_inputs({.inputs = {{"images", d.images},
                                         {"annotations", d.annotations},
                                         {"model", d.model},
                                         {"detections", c.detections},
                                         {"metadata", c.metadata}},
                              .output_folders = {{"output", c.output}}});
  CaptureSettings capture;
  if (!c.name_pattern.empty()) capture.pattern.emplace(c.name_pattern);
  if (!c.metadata.empty()) capture.table.emplace(CaptureTable::read_csv(c.metadata));
  capture.exif = c.exif;

  // The photos and their capture times first: a bad date fails before any detection work.
  CountReport report;
  std::vector<ImageInfo> images;
  std::vector<Category> categories;
  report.score_threshold = d.score_threshold;
  const fs::path run(c.detections);
  if (!c.detections.empty()) {
    DetectionPhotos p = read_detection_photos((run / "photos.json").string());
    images = p.photos.images, categories = p.photos.categories;
    if (report.score_threshold < 0) report.score_threshold = p.score_threshold;
  } else {
    images = photo_list(d.images, d.annotations);
  }
  const std::string folder = photo_root(d.images, d.annotations);
  std::vector<CaptureInfo> captures;
  for (const ImageInfo& i : images) {
    if (!fs::is_regular_file(fs::path(folder) / i.file_name))
      throw std::runtime_error("photo " + i.file_name + " of " + c.detections +
                               " is not in the photo folder " + folder);
    captures.push_back(capture_info(folder, i.file_name, capture.sources()));
  }
  if (c.warnings && (capture.pattern || capture.table) &&
      std::none_of(captures.begin(), captures.end(),
                   [](const CaptureInfo& k) { return k.time || !k.trap.empty(); }))
    *c.warnings << "warning: neither the file-name pattern nor the metadata matched any photo\n";

  std::vector<Annotation> detections;
  if (!c.detections.empty()) {
    detections = read_coco_results((run / "detections.json").string());
  } else {
    DetectionRun r = detect_photos(d, images);
    categories = r.detector.categories, detections = r.detections;
    report.score_threshold = r.score_threshold;
  }
  const auto per_image =
      count_per_image(images, categories, captures, detections, report.score_threshold);
  report.per_night = count_per_night(per_image);
  report.photos = images.size();
  AtomicFolder out(c.output);
  const fs::path dir(out.temp_path());
  write_bytes((dir / "counts_per_image.csv").string(), to_csv(per_image), c.output);
  write_bytes((dir / "counts_per_night.csv").string(), to_csv(report.per_night), c.output);
  out.commit();
  return report;
}

// ---- evaluate ----

namespace {

// Detections read back for scoring, with the image ids of the truth: a detect run's (photos.json
// beside them) joined by file name, others taken at their word but checked.
std::vector<Annotation> detections_to_score(const std::string& file, const Dataset& truth,
                                            double& threshold) {
  std::vector<Annotation> detections = read_coco_results(file);
  const fs::path photos = fs::path(file).parent_path() / "photos.json";
  if (fs::exists(photos)) {
    const DetectionPhotos run = read_detection_photos(photos.string());
    if (threshold < 0) threshold = run.score_threshold;
    return join_by_file_name(detections, run.photos.images, truth.images, file);
  }
  if (threshold < 0) threshold = 0.5;
  std::set<int64_t> ids;
  for (const ImageInfo& im : truth.images) ids.insert(im.id);
  for (const Annotation& a : detections)
    if (!ids.count(a.image_id))
      throw std::runtime_error(file + ": a detection is on image id " + std::to_string(a.image_id) +
                               ", which the annotations do not have (without detect's "
                               "photos.json beside it, image ids must be the annotations')");
  return detections;
}

// The precision-recall curve of each category at IoU 0.5.
LinePlot precision_recall_plot(const Dataset& truth, const std::vector<Annotation>& detections) {
  LinePlot p{.title = "precision-recall at IoU 0.5", .x_label = "recall", .y_label = "precision"};
  for (const Category& c : truth.categories) {
    std::vector<Annotation> t, d;
    for (const Annotation& a : truth.annotations)
      if (a.category_id == c.id) t.push_back(a);
    if (t.empty()) continue;
    for (const Annotation& a : detections)
      if (a.category_id == c.id) d.push_back(a);
    const PrCurve curve = precision_recall_curve(t, d, 0.5);
    LineSeries line{c.name, {0}, {1}};  // the curve starts at recall 0, precision 1
    line.x.insert(line.x.end(), curve.recall.begin(), curve.recall.end());
    line.y.insert(line.y.end(), curve.precision.begin(), curve.precision.end());
    p.series.push_back(std::move(line));
  }
  return p;
}

}  // namespace

std::vector<std::string> score_outputs(const std::string& output) {
  const fs::path json(output);
  const std::string stem = (json.parent_path() / json.stem()).string();
  return {output, stem + "_per_category.csv", stem + "_pr_curve.png"};
}

nlohmann::json score_photos(const DetectionScoring& s) {
  const PhotoDetection& d = s.detection;
  CommandPaths paths{.inputs = {{"annotations", d.annotations},
                                {"images", d.images},
                                {"model", d.model},
                                {"detections", s.detections}}};
  if (!s.output.empty())
    for (const std::string& file : score_outputs(s.output))
      paths.output_files.push_back({"output", file});
  check_outputs_spare_inputs(paths);
  const Dataset truth = read_annotations(d.annotations, d.images, "val");
  std::vector<Annotation> detections;
  double threshold = d.score_threshold;
  if (!s.detections.empty()) {
    detections = detections_to_score(s.detections, truth, threshold);
  } else {
    DetectionRun r = detect_photos(d, truth.images);
    detections = r.detections;
    threshold = r.score_threshold;
  }
  const DetectionScores scores = score_detections(truth, detections, threshold);
  const nlohmann::json j = scores_json(scores, truth.categories, threshold);
  if (!s.output.empty()) {
    const std::vector<std::string> files = score_outputs(s.output);
    OutputSet out;
    out.add_text(files[0], j.dump(2) + "\n");
    out.add_text(files[1], per_category_csv(scores, truth.categories));
    write_line_plot(out.temp_for(files[2]), precision_recall_plot(truth, detections));
    out.commit();
  }
  return j;
}

}  // namespace tessera::ecology
