#pragma once
// The ecology workflows as `tessera ecology` runs them, from folders of photos to files: train
// the detector on annotated photos, detect on a folder (COCO results, CSV, the photo list and
// annotated copies, written together), count per photo and per night and trap, and score
// detections against annotations. Per-photo and training lines go to the `log` stream a caller
// gives (none by default), warnings to `warnings`; bad settings throw SettingError naming the
// field.
//
//   Detector d = train_from_folder({.images = "photos", .annotations = "photos/coco.json",
//                                   .output = "insects.h5"});
//   detect_folder({.detection = {.model = "insects.h5", .images = "nights"}, .output = "found"});
#include <cstddef>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tessera/ecology/annotations.hpp"
#include "tessera/ecology/counts.hpp"
#include "tessera/ecology/detector.hpp"

namespace tessera::ecology {

// Annotated photos: COCO JSON, YOLO labels (a folder, or a .txt file in it) whose boxes are
// turned into pixels with the sizes of the photos in `images` (a folder or one photo), or an
// Ultralytics data.yaml, given as `annotations` or (annotations empty) as `images`, whose
// `split` ("train", "val", "test") is read with the labels beside its photos. Throws when
// `annotations` does not exist.
Dataset read_annotations(const std::string& annotations, const std::string& images,
                         const std::string& split = "val");

// The folder the photos' names are relative to: the data.yaml's root when one is given, else
// `images` (a folder) or the folder holding it (one photo).
std::string photo_root(const std::string& images, const std::string& annotations);

// The photos to work on: those the annotations (or a data.yaml's val split) list when given,
// else every photo in `images` (ids 1..n in name order, sizes unknown: 0).
std::vector<ImageInfo> photo_list(const std::string& images, const std::string& annotations);

struct DetectorTraining {
  std::string images{};       // folder of photos, or a data.yaml
  std::string annotations{};  // see read_annotations (the train split of a data.yaml)
  std::string output{};       // checkpoint to write (.h5)
  DetectorTrainOptions train{};
  std::ostream* log = nullptr;  // what is read and trained, and the loss every few steps
};

// Reads the annotated photos, trains the detector on their annotated categories and saves it.
Detector train_from_folder(const DetectorTraining& t);

struct PhotoDetection {
  std::string model{};          // checkpoint from train_from_folder
  std::string images{};         // folder of photos (searched recursively), one photo, a data.yaml
  std::string annotations{};    // optional: take the photos and their ids from these
  DetectOptions detect{};       // decoding and tiles
  double score_threshold = -1;  // detections counted and drawn from this; < 0: the model's
  std::ostream* log = nullptr;  // a line per photo with its count
  DataType precision = DataType::f32;  // the network's convolutions'
  Device device = Device::cpu();       // where the network computes
};

// What a detection run found.
struct DetectionRun {
  Detector detector;
  std::vector<ImageInfo> images;  // sizes filled in from the photos
  std::vector<Annotation> detections;
  double score_threshold = 0;
};

// Detects on `photos` of the folder d.images, each read and checked against its stated size.
DetectionRun detect_photos(const PhotoDetection& d, std::vector<ImageInfo> photos);

struct FolderDetection {
  PhotoDetection detection;
  std::string output{};   // folder (created), never inside the photo folder
  bool annotated = true;  // draw the boxes on copies of the photos in output/annotated
};

struct FolderDetectionReport {
  std::size_t boxes = 0, photos = 0;
};

// Detects on every photo (or those the annotations list) and writes detections.json (COCO
// results), detections.csv, photos.json and annotated/ together.
FolderDetectionReport detect_folder(const FolderDetection& f);

struct PhotoCounting {
  PhotoDetection detection;    // images always; model unless `detections` is given
  std::string detections{};    // a folder detect_folder wrote: count those instead of detecting
  std::string output{};        // folder for counts_per_image.csv and counts_per_night.csv
  std::string name_pattern{};  // trap and time from file names (FileNamePattern)
  std::string metadata{};      // CSV with file, trap and time columns (CaptureTable)
  bool exif = true;            // capture times from EXIF where nothing else gives one
  std::ostream* warnings = nullptr;
};

struct CountReport {
  std::vector<NightCount> per_night;
  std::size_t photos = 0;
  double score_threshold = 0;
};

// The photos and their capture times first (a bad date fails before any detection), then the
// detections (detect_photos, or read back), then both tables, written together.
CountReport count_photos(const PhotoCounting& c);

struct DetectionScoring {
  PhotoDetection detection;  // annotations (the truth) and images always; model unless
  std::string detections{};  // COCO results to score instead of detecting
  std::string output{};      // the scores as JSON when not empty, with score_outputs beside it
};

// What score_photos writes for `output` ("scores.json"): it, scores_per_category.csv and
// scores_pr_curve.png (the precision-recall curve of each category at IoU 0.5).
std::vector<std::string> score_outputs(const std::string& output);

// mAP, precision / recall and count errors (scores_json). Detections given with detect_folder's
// photos.json beside them are joined to the annotations by file name (detect numbers photos its
// own way), and scored at the run's threshold; others must use the annotations' image ids and
// are scored at 0.5. The outputs are written together.
nlohmann::json score_photos(const DetectionScoring& s);

}  // namespace tessera::ecology
