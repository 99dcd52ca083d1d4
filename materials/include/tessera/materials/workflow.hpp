#pragma once
// The materials workflows as `tessera materials` runs them, from folders of micrographs and
// their tables to models and phase maps.
//
//   train_segmenter_from_files({.images = "uhcs/images", .tags = "tags_tiles_4x5.csv",
//                               .output = "phases.h5"});
//   segment_folder({.model = "phases.h5", .images = "new/", .output = "maps/"});
#include <map>
#include <string>
#include <vector>

#include "tessera/materials/classical_segmentation.hpp"
#include "tessera/materials/phase_segmenter.hpp"

namespace tessera::materials {

// What a user knows of each image besides its pixels: its pixel size and its specimen, from a
// table with a name column (name, image, file, filename; a path's stem counts) and optional
// um_per_px (or um_per_px_stored, pixel_size_um) and specimen (or sample_key, sample) columns.
struct ImageFacts {
  double um_per_px = 0;  // 0: unknown
  std::string specimen{};
};
// By image stem; `specimen_column`, when given, names the specimen column instead. Throws
// std::runtime_error naming the file and line for a table without a name column (or without
// that specimen column), a name twice, or a pixel size that is not a positive number.
std::map<std::string, ImageFacts> read_image_facts(const std::string& path,
                                                   const std::string& specimen_column = "");

struct ImageInputs {
  std::string images{};    // folder of micrographs (TIFF, PNG, JPEG; 8 or 16 bit)
  std::string metadata{};  // optional table of pixel sizes and specimens
  double um_per_px = 0;    // pixel size of every image (over the table's); 0: from the table
  int crop_bottom = -1;    // rows of data bar; -1: detected
};

struct SegmenterTraining {
  ImageInputs inputs{};
  std::string tags{};           // presence tags per image or region (presence_tags.hpp)
  std::string output{};         // model to write (.h5)
  double target_um_per_px = 0;  // common pixel size; 0: the median of the tagged images'
  std::string background{};     // the phase that is whatever the others are not; "": none
  SegmenterTrainOptions train{};
};

// The tagged regions of the training inputs at their common pixel size, and that size. Throws
// std::runtime_error naming the file for a tagged image that is not in the folder, and
// SettingError when pixel sizes are known for some images and not others.
struct TrainingRegions {
  std::vector<TaggedRegion> regions;
  std::vector<std::string> phases;
  double um_per_px = 0;
};
TrainingRegions read_training_regions(const SegmenterTraining& t);

// The network, trained and saved (.h5).
PhaseSegmenter train_segmenter_from_files(const SegmenterTraining& t);
// A classical baseline ("forest", "otsu", "kmeans") on the same tags, saved as YAML.
ClassicalSegmenter train_classical_from_files(const SegmenterTraining& t,
                                              const std::string& method);

struct PhaseSegmentation {
  std::string model{};  // a network (.h5) or a classical baseline (YAML)
  ImageInputs inputs{};
  std::string output{};  // folder: <image>.png labels, <image>_overlay.png, phase_fractions.csv
  SegmentOptions segment{};
};

struct SegmentationReport {
  std::vector<std::string> images;  // segmented, in natural order
  std::string fractions_csv;        // as written
};

// Every micrograph of the folder; the output folder appears whole or not at all.
SegmentationReport segment_folder(const PhaseSegmentation& p);

// image,specimen,<phase>... per image, then a row per specimen (image "mean of N") with the
// mean fraction and, in <phase>_sd columns, the spread over its fields.
std::string phase_fractions_csv(const std::vector<std::string>& phases,
                                const std::vector<std::string>& images,
                                const std::vector<std::string>& specimens,
                                const std::vector<std::vector<double>>& fractions);

// A colour overlay of the phase map on the micrograph (phase 0 left grey).
cv::Mat phase_overlay(const cv::Mat& pixels, const cv::Mat& labels);

}  // namespace tessera::materials
