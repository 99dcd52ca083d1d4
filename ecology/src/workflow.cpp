#include "tessera/ecology/workflow.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <map>
#include <optional>
#include <stdexcept>

#include <opencv2/imgcodecs.hpp>

#include "tessera/ecology/capture_info.hpp"
#include "tessera/ecology/detection_files.hpp"
#include "tessera/ecology/detection_metrics.hpp"
#include "tessera/ecology/photos.hpp"
#include "tessera/io/atomic_file.hpp"
#include "tessera/io/settings.hpp"

namespace tessera::ecology {

namespace fs = std::filesystem;

namespace {

bool is_yolo(const std::string& annotations) {
  return fs::is_directory(annotations) || fs::path(annotations).extension() == ".txt";
}

}  // namespace

Dataset read_annotations(const std::string& annotations, const std::string& images) {
  if (!fs::exists(annotations)) throw std::runtime_error(annotations + ": no such file");
  if (!is_yolo(annotations)) return read_coco(annotations);
  const std::string folder =
      fs::is_directory(annotations) ? annotations : fs::path(annotations).parent_path().string();
  std::vector<ImageInfo> infos;
  for (const std::string& file : list_photos(images)) {
    const cv::Mat m = read_photo((fs::path(images) / file).string());
    infos.push_back({int64_t(infos.size()) + 1, file, m.cols, m.rows});
  }
  return read_yolo(folder, infos);
}

std::vector<ImageInfo> photo_list(const std::string& images, const std::string& annotations) {
  if (!annotations.empty()) return read_annotations(annotations, images).images;
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
  const Dataset d = read_annotations(t.annotations, t.images);
  const std::vector<Category> classes = annotated_categories(d);
  if (t.log) describe_training_data(*t.log, d, classes);
  const std::vector<TrainingPhoto> photos = training_photos(d, t.images);
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
  for (ImageInfo& info : r.images) {
    const cv::Mat bgr = read_annotated_photo(d.images, info);
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
    // A name from annotations may climb out ("../x.jpg"); its drawing stays in the folder.
    fs::path name = fs::path(info.file_name).lexically_normal();
    if (name.is_absolute() || *name.begin() == "..") name = name.filename();
    const fs::path file =
        folder / (name.string() + (ext == ".jpg" || ext == ".jpeg" ? "" : ".jpg"));
    fs::create_directories(file.parent_path());
    if (!cv::imwrite(file.string(), drawn, {cv::IMWRITE_JPEG_QUALITY, 90}))
      throw std::runtime_error(file.string() + ": cannot write");
  }
}

// Outputs inside the photo folder would be read as photos by the next run.
void check_output_outside(const std::string& output, const std::string& images) {
  const fs::path out = fs::weakly_canonical(output), in = fs::weakly_canonical(images);
  const auto [end, _] = std::mismatch(in.begin(), in.end(), out.begin(), out.end());
  if (end == in.end())
    throw SettingError("output", output + " is inside the photo folder " + images +
                                     "; its pictures would be counted as photos next time");
}

}  // namespace

FolderDetectionReport detect_folder(const FolderDetection& f) {
  const PhotoDetection& d = f.detection;
  const fs::path dir(f.output);
  if (fs::exists(dir) && !fs::is_directory(dir))
    throw std::runtime_error(f.output + ": exists and is not a folder");
  check_output_outside(f.output, d.images);
  std::vector<ImageInfo> photos = photo_list(d.images, d.annotations);
  const DetectionRun r = detect_photos(d, std::move(photos));
  fs::create_directories(dir);
  OutputSet out;
  if (f.annotated) draw_photos(d.images, r, out.temp_folder_for((dir / "annotated").string()));
  write_coco_results(out.temp_for((dir / "detections.json").string()), r.detections);
  out.add_text((dir / "detections.csv").string(),
               detections_csv(r.images, r.detector.categories, r.detections));
  out.add_text((dir / "photos.json").string(),
               detection_photos_json({{r.images, r.detector.categories, {}}, r.score_threshold}));
  out.commit();
  if (!f.annotated) fs::remove_all(dir / "annotated");  // a previous run's would not match
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
  std::vector<CaptureInfo> captures;
  for (const ImageInfo& i : images) {
    if (!fs::is_regular_file(fs::path(d.images) / i.file_name))
      throw std::runtime_error("photo " + i.file_name + " of " + c.detections +
                               " is not in the photo folder " + d.images);
    captures.push_back(capture_info(d.images, i.file_name, capture.sources()));
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
  const fs::path dir(c.output);
  fs::create_directories(dir);
  OutputSet out;
  out.add_text((dir / "counts_per_image.csv").string(), to_csv(per_image));
  out.add_text((dir / "counts_per_night.csv").string(), to_csv(report.per_night));
  out.commit();
  return report;
}

// ---- evaluate ----

nlohmann::json score_photos(const DetectionScoring& s) {
  const PhotoDetection& d = s.detection;
  const Dataset truth = read_annotations(d.annotations, d.images);
  std::vector<Annotation> detections;
  double threshold = d.score_threshold;
  if (!s.detections.empty()) {
    detections = read_coco_results(s.detections);
    // The threshold of the run that wrote them, when its photos.json is beside them.
    const fs::path photos = fs::path(s.detections).parent_path() / "photos.json";
    if (threshold < 0)
      threshold = fs::exists(photos) ? read_detection_photos(photos.string()).score_threshold : 0.5;
  } else {
    DetectionRun r = detect_photos(d, truth.images);
    detections = r.detections;
    threshold = r.score_threshold;
  }
  const nlohmann::json j =
      scores_json(score_detections(truth, detections, threshold), truth.categories, threshold);
  if (!s.output.empty()) write_atomically(s.output, j.dump(2) + "\n");
  return j;
}

}  // namespace tessera::ecology
