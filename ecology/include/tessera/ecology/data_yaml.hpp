#pragma once
// Ultralytics' dataset file, as YOLO users and Roboflow exports keep it:
//
//   path: .              # root (relative to this file); optional
//   train: images/train  # folder (or list of folders) of photos, relative to the root
//   val: images/val
//   names: [moth, fly]   # or {0: moth, 1: fly}; nc, when given, must agree
//
// with each photo's labels beside it in the images/labels layout (images/train/a.jpg ->
// labels/train/a.txt). Aliases are not followed and the file is small, so no YAML bomb expands.
#include <map>
#include <string>
#include <vector>

#include "tessera/ecology/annotations.hpp"

namespace tessera::ecology {

struct YoloData {
  std::string root;                                        // photo paths are relative to it
  std::vector<Category> names;                             // class i -> {i, name}
  std::map<std::string, std::vector<std::string>> splits;  // "train", "val", "test" -> folders
                                                           // under root
};

// A .yaml or .yml file.
bool is_data_yaml(const std::string& path);

// Throws std::runtime_error "<path>: ..." for a missing or malformed file, no names, a split
// folder that does not exist or lies outside the root.
YoloData read_data_yaml(const std::string& path);

// The label file of a photo in the Ultralytics layout: the last folder named "images" in its
// path becomes "labels" and the extension ".txt"; "" when no folder is named "images".
std::string yolo_label_path(const std::string& photo_path);

}  // namespace tessera::ecology
