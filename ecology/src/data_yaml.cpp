#include "tessera/ecology/data_yaml.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <stdexcept>

#include <yaml-cpp/yaml.h>

namespace tessera::ecology {
namespace {

namespace fs = std::filesystem;

// Far beyond any real data.yaml; a larger file is not one.
constexpr std::uintmax_t max_yaml_bytes = 1 << 20;

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw std::runtime_error(path + ": " + what);
}

std::string scalar(const std::string& path, const YAML::Node& n, const std::string& where) {
  if (!n.IsScalar() || n.Scalar().empty()) fail(path, where + " must be a name");
  if (std::any_of(n.Scalar().begin(), n.Scalar().end(),
                  [](char c) { return std::iscntrl((unsigned char)c); }))
    fail(path, where + " holds control characters");
  return n.Scalar();
}

std::vector<Category> class_names(const std::string& path, const YAML::Node& names) {
  std::vector<Category> out;
  if (!names) {
    fail(path, "has no 'names' (a list of class names, or a map from 0..n-1 to them)");
  } else if (names.IsSequence()) {
    for (std::size_t i = 0; i < names.size(); ++i)
      out.push_back({int64_t(i), scalar(path, names[i], "names[" + std::to_string(i) + "]")});
  } else if (names.IsMap()) {
    // {0: moth, 1: fly}: the keys must be 0..n-1.
    for (std::size_t i = 0; i < names.size(); ++i) {
      const YAML::Node n = names[i];
      if (!n) fail(path, "names: class " + std::to_string(i) + " is missing (keys must be 0..n-1)");
      out.push_back({int64_t(i), scalar(path, n, "names[" + std::to_string(i) + "]")});
    }
  } else {
    fail(path, "has no 'names' (a list of class names, or a map from 0..n-1 to them)");
  }
  if (out.empty()) fail(path, "names no class");
  return out;
}

// A split's folders under the root. Roboflow writes "../train/images" for a folder beside the
// file; Ultralytics accepts that, so does this. A folder that does not exist is an error only
// when its split is read (a Roboflow export may lack its test photos).
std::vector<std::string> split_folders(const std::string& path, const fs::path& root,
                                       const YAML::Node& value, const std::string& split) {
  std::vector<YAML::Node> items;
  if (value.IsSequence())
    for (const YAML::Node& n : value) items.push_back(n);
  else
    items.push_back(value);
  std::vector<std::string> out;
  for (const YAML::Node& n : items) {
    const std::string name = scalar(path, n, split);
    fs::path folder = (root / name).lexically_normal();
    std::string relative = name;
    while (!fs::is_directory(folder) && relative.rfind("../", 0) == 0) {
      relative = relative.substr(3);
      folder = (root / relative).lexically_normal();
    }
    if (fs::is_regular_file(folder))
      fail(path, split + ": '" + name + "' is a file; lists of photos are not read, give folders");
    const fs::path inside = folder.lexically_relative(root);
    if (inside.empty() || *inside.begin() == "..")
      fail(path, split + ": '" + name + "' lies outside the dataset root " + root.string());
    out.push_back(inside.generic_string());
  }
  return out;
}

YAML::Node load_yaml(const std::string& path) {
  try {
    return YAML::LoadFile(path);
  } catch (const YAML::Exception& e) {
    fail(path, std::string("not valid YAML: ") + e.what());
  }
}

YoloData data_yaml(const std::string& path, const YAML::Node& doc) {
  if (!doc.IsMap()) fail(path, "is not a data.yaml (path, train, val, names)");
  YoloData d;
  const fs::path base = fs::absolute(fs::path(path)).parent_path();
  fs::path root = base;
  if (doc["path"]) root = (base / scalar(path, doc["path"], "path")).lexically_normal();
  if (root.filename().empty()) root = root.parent_path();  // "path: ." gave "root/"
  if (!fs::is_directory(root)) fail(path, "path: " + root.string() + " is not a folder");
  d.root = root.string();
  d.names = class_names(path, doc["names"]);
  if (doc["nc"]) {
    const std::string nc = scalar(path, doc["nc"], "nc");
    if (nc != std::to_string(d.names.size()))
      fail(path, "nc is " + nc + " but names lists " + std::to_string(d.names.size()) + " classes");
  }
  for (const char* split : {"train", "val", "test"})
    if (doc[split] && !doc[split].IsNull())
      d.splits[split] = split_folders(path, root, doc[split], split);
  if (d.splits.empty()) fail(path, "names no split (train, val or test folders of photos)");
  return d;
}

}  // namespace

bool is_data_yaml(const std::string& path) {
  std::string ext = fs::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), ::tolower);
  return (ext == ".yaml" || ext == ".yml") && !fs::is_directory(path);
}

YoloData read_data_yaml(const std::string& path) {
  if (!fs::is_regular_file(path)) fail(path, "no such file");
  if (fs::file_size(path) > max_yaml_bytes)
    fail(path, "is larger than any data.yaml (" + std::to_string(fs::file_size(path)) + " bytes)");
  const YAML::Node doc = load_yaml(path);
  try {
    return data_yaml(path, doc);
  } catch (const YAML::Exception& e) {
    // What the checks above did not foresee still names the file.
    fail(path, std::string("not a valid data.yaml: ") + e.what());
  }
}

std::string yolo_label_path(const std::string& photo_path) {
  const fs::path p = fs::path(photo_path);
  std::vector<fs::path> parts(p.begin(), p.end());
  if (parts.size() < 2) return "";
  for (std::size_t i = parts.size() - 1; i-- > 0;)
    if (parts[i] == "images") {
      parts[i] = "labels";
      fs::path out;
      for (const fs::path& part : parts) out /= part;
      return out.replace_extension(".txt").string();
    }
  return "";
}

}  // namespace tessera::ecology
