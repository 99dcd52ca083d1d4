#include "tessera/ecology/data_yaml.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <stdexcept>

#include "tessera/formats/yaml_document.hpp"

namespace tessera::ecology {
namespace {

namespace fs = std::filesystem;

using nlohmann::json;

// Far beyond any real data.yaml; a larger file is not one.
constexpr JsonLimits kDataYamlLimits{.max_depth = 16, .max_bytes = 1 << 20};

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw std::runtime_error(path + ": " + what);
}

// A name: a string, or a number written bare (a class called 7).
std::string scalar(const std::string& path, const json& n, const std::string& where) {
  const std::string text = n.is_string() ? n.get<std::string>() : n.is_number() ? n.dump() : "";
  if (text.empty()) fail(path, where + " must be a name");
  if (std::any_of(text.begin(), text.end(), [](char c) { return std::iscntrl((unsigned char)c); }))
    fail(path, where + " holds control characters");
  return text;
}

std::vector<Category> class_names(const std::string& path, const json& doc) {
  const char* missing = "has no 'names' (a list of class names, or a map from 0..n-1 to them)";
  if (!doc.contains("names")) fail(path, missing);
  const json& names = doc["names"];
  std::vector<Category> out;
  if (names.is_array()) {
    for (std::size_t i = 0; i < names.size(); ++i)
      out.push_back({int64_t(i), scalar(path, names[i], "names[" + std::to_string(i) + "]")});
  } else if (names.is_object()) {
    // {0: moth, 1: fly}: the keys must be 0..n-1.
    for (std::size_t i = 0; i < names.size(); ++i) {
      const std::string key = std::to_string(i);
      if (!names.contains(key))
        fail(path, "names: class " + key + " is missing (keys must be 0..n-1)");
      out.push_back({int64_t(i), scalar(path, names[key], "names[" + key + "]")});
    }
  } else {
    fail(path, missing);
  }
  if (out.empty()) fail(path, "names no class");
  return out;
}

// A split's folders under the root. Roboflow writes "../train/images" for a folder beside the
// file; Ultralytics accepts that, so does this. A folder that does not exist is an error only
// when its split is read (a Roboflow export may lack its test photos).
std::vector<std::string> split_folders(const std::string& path, const fs::path& root,
                                       const json& value, const std::string& split) {
  const json items = value.is_array() ? value : json::array({value});
  std::vector<std::string> out;
  for (const json& n : items) {
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

YoloData data_yaml(const std::string& path, const json& doc) {
  if (!doc.is_object()) fail(path, "is not a data.yaml (path, train, val, names)");
  YoloData d;
  const fs::path base = fs::absolute(fs::path(path)).parent_path();
  fs::path root = base;
  if (doc.contains("path")) root = (base / scalar(path, doc["path"], "path")).lexically_normal();
  if (root.filename().empty()) root = root.parent_path();  // "path: ." gave "root/"
  if (!fs::is_directory(root)) fail(path, "path: " + root.string() + " is not a folder");
  d.root = root.string();
  d.names = class_names(path, doc);
  if (doc.contains("nc")) {
    const std::string nc = scalar(path, doc["nc"], "nc");
    if (nc != std::to_string(d.names.size()))
      fail(path, "nc is " + nc + " but names lists " + std::to_string(d.names.size()) + " classes");
  }
  for (const char* split : {"train", "val", "test"})
    if (doc.contains(split) && !doc[split].is_null())
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
  return data_yaml(path, read_yaml_file(path, kDataYamlLimits));
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
