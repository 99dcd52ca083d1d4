#pragma once
// Boxes on images, in and out of the two formats trap annotations come in: COCO JSON (one file
// for a set of images) and YOLO text (one file per image, class and normalised centre box per
// line, class names in classes.txt). Every reader throws std::runtime_error with one line naming
// the file (and line or entry) and what is wrong.
//
//   Dataset d = read_coco("_annotations.coco.json");
//   write_yolo("labels/", d);            // labels/<image stem>.txt + labels/classes.txt
//   Dataset back = read_yolo("labels/", d.images);
#include <cstdint>
#include <string>
#include <vector>

namespace tessera::ecology {

struct Box {
  double x = 0, y = 0, width = 0, height = 0;  // pixels; (x, y) the top-left corner, as COCO
};

struct ImageInfo {
  int64_t id = 0;
  std::string file_name;
  int64_t width = 0, height = 0;
};

struct Category {
  int64_t id = 0;
  std::string name;
};

struct Annotation {
  int64_t image_id = 0, category_id = 0;
  Box box;
  double score = 1;  // detections: confidence; truth: 1
};

struct Dataset {
  std::vector<ImageInfo> images;
  std::vector<Category> categories;
  std::vector<Annotation> annotations;
};

// Checks ids and file names are unique, file names are relative paths inside the photo folder
// (no "..", not absolute), every annotation names a known image and category, and every box has
// a positive size and lies (within a pixel) on its image.
Dataset read_coco(const std::string& path);
void write_coco(const std::string& path, const Dataset& d);

// COCO detection results: [{"image_id", "category_id", "bbox", "score"}, ...].
std::vector<Annotation> read_coco_results(const std::string& path);
void write_coco_results(const std::string& path, const std::vector<Annotation>& detections);

// Class names of a YOLO classes.txt, one a line, as categories 0..n-1.
std::vector<Category> read_yolo_classes(const std::string& path);

// YOLO label files, `label_files[i]` that of `images[i]` (a missing file: no objects on it);
// classes index `categories`, whose ids the annotations take. Each line must have five fields, a
// known class, values in [0, 1], a positive size and lie (within a pixel) on its image; errors
// name the file and line.
Dataset read_yolo_labels(const std::vector<ImageInfo>& images,
                         const std::vector<std::string>& label_files,
                         const std::vector<Category>& categories);

// YOLO labels for `images` (their sizes turn normalised boxes into pixels): <folder>/<image
// file stem>.txt, a missing file meaning no objects, and <folder>/classes.txt naming class
// 0, 1, ... in order. Categories become ids 0..n-1.
Dataset read_yolo(const std::string& folder, const std::vector<ImageInfo>& images);
// Categories are written in id order as classes 0..n-1.
void write_yolo(const std::string& folder, const Dataset& d);

}  // namespace tessera::ecology
