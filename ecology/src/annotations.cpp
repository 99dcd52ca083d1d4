#include "tessera/ecology/annotations.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>
#include <type_traits>

#include <nlohmann/json.hpp>

#include "tessera/ecology/photos.hpp"
#include "tessera/io/atomic_file.hpp"
#include "tessera/io/json_text.hpp"

namespace tessera::ecology {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw std::runtime_error(path + ": " + what);
}

// Annotation files are far smaller than this; a larger one is not annotations.
json read_json(const std::string& path) {
  return read_json_file(path, {.max_depth = 16, .max_bytes = std::size_t(1) << 30});
}

// A photo's name as annotations give it must stay inside the photo folder: an absolute path or
// one climbing out with ".." would read (and draw over) files the user never named.
void check_file_name(const std::string& path, const std::string& name, const std::string& where) {
  const fs::path p = fs::path(name).lexically_normal();
  if (name.empty() || p.empty()) fail(path, where + ": file_name is empty");
  if (std::any_of(name.begin(), name.end(), [](char c) { return std::iscntrl((unsigned char)c); }))
    fail(path, where + ": file_name holds control characters");
  if (p.is_absolute() || p.has_root_name() || *p.begin() == "..")
    fail(path, where + ": file_name '" + name +
                   "' leaves the photo folder; names must be relative paths inside it");
}

template <typename T>
T field(const std::string& path, const json& entry, const char* key, const std::string& where) {
  if (!entry.is_object() || !entry.contains(key)) fail(path, where + " has no '" + key + "'");
  // An id or size of 1.5 or 1e30 is no integer (and 1e30 has none to convert to).
  if constexpr (std::is_integral_v<T>)
    if (!entry.at(key).is_number_integer())
      fail(path, where + ": '" + key + "' must be an integer: " + entry.at(key).dump());
  try {
    return entry.at(key).get<T>();
  } catch (const json::exception&) {
    fail(path, where + ": '" + key + "' has the wrong type: " + entry.at(key).dump());
  }
}

Box coco_box(const std::string& path, const json& entry, const std::string& where) {
  const auto b = field<std::vector<double>>(path, entry, "bbox", where);
  if (b.size() != 4) fail(path, where + ": bbox needs 4 numbers [x, y, width, height]");
  const Box box{b[0], b[1], b[2], b[3]};
  for (double v : b)
    if (!std::isfinite(v)) fail(path, where + ": bbox is not finite");
  if (!(box.width > 0 && box.height > 0))
    fail(path, where + ": bbox width and height must be positive");
  return box;
}

json coco_bbox(const Box& b) {
  return json::array({b.x, b.y, b.width, b.height});
}

template <typename Entry>
void require_unique_ids(const std::string& path, const std::vector<Entry>& v, const char* what) {
  std::set<int64_t> seen;
  for (const Entry& e : v)
    if (!seen.insert(e.id).second)
      fail(path, std::string(what) + " id " + std::to_string(e.id) + " appears twice");
}

std::vector<ImageInfo> coco_images(const std::string& path, const json& j) {
  std::vector<ImageInfo> images;
  if (!j.contains("images") || !j.at("images").is_array()) fail(path, "has no 'images' list");
  for (size_t i = 0; i < j.at("images").size(); ++i) {
    const json& e = j.at("images")[i];
    const std::string where = "images[" + std::to_string(i) + "]";
    ImageInfo im{field<int64_t>(path, e, "id", where),
                 field<std::string>(path, e, "file_name", where),
                 field<int64_t>(path, e, "width", where), field<int64_t>(path, e, "height", where)};
    if (im.width < 1 || im.height < 1) fail(path, where + ": width and height must be positive");
    if (im.width > max_photo_side || im.height > max_photo_side)
      fail(path, where + ": width and height must be at most " + std::to_string(max_photo_side));
    check_file_name(path, im.file_name, where);
    images.push_back(im);
  }
  require_unique_ids(path, images, "image");
  std::set<std::string> names;
  for (const ImageInfo& im : images)
    if (!names.insert(fs::path(im.file_name).lexically_normal().generic_string()).second)
      fail(path, "file_name '" + im.file_name + "' appears twice");
  return images;
}

std::vector<Category> coco_categories(const std::string& path, const json& j) {
  std::vector<Category> categories;
  if (!j.contains("categories") || !j.at("categories").is_array())
    fail(path, "has no 'categories' list");
  for (size_t i = 0; i < j.at("categories").size(); ++i) {
    const json& e = j.at("categories")[i];
    const std::string where = "categories[" + std::to_string(i) + "]";
    categories.push_back(
        {field<int64_t>(path, e, "id", where), field<std::string>(path, e, "name", where)});
    if (categories.back().name.empty()) fail(path, where + ": name is empty");
  }
  require_unique_ids(path, categories, "category");
  return categories;
}

// A box may touch its image's border and poke out by rounding, not lie off the image.
void check_on_image(const std::string& path, const Box& b, const ImageInfo& im,
                    const std::string& where) {
  const double slack = 1;
  if (b.x < -slack || b.y < -slack || b.x + b.width > double(im.width) + slack ||
      b.y + b.height > double(im.height) + slack)
    fail(path, where + ": box [" + std::to_string(b.x) + ", " + std::to_string(b.y) + ", " +
                   std::to_string(b.width) + ", " + std::to_string(b.height) + "] lies off image " +
                   std::to_string(im.id) + " (" + std::to_string(im.width) + " x " +
                   std::to_string(im.height) + ")");
}

// One line "class x_centre y_centre width height" of a YOLO label file, in pixels of `im`.
Annotation yolo_box(const std::string& path, int64_t number, const std::string& line,
                    const ImageInfo& im, std::size_t classes) {
  std::istringstream fields(line);
  double cls = 0, cx = 0, cy = 0, w = 0, h = 0;
  std::string extra;
  const std::string where = "line " + std::to_string(number);
  if (!(fields >> cls >> cx >> cy >> w >> h) || (fields >> extra))
    fail(path, where + ": expected 'class x_centre y_centre width height'");
  if (cls != std::floor(cls) || cls < 0 || cls >= double(classes))
    fail(path, where + ": class " + std::to_string(cls) + " is not one of the " +
                   std::to_string(classes) + " classes");
  for (double v : {cx, cy, w, h})
    if (!(v >= 0 && v <= 1)) fail(path, where + ": box values must be normalised to [0, 1]");
  if (!(w > 0 && h > 0)) fail(path, where + ": box width and height must be positive");
  const double W = double(im.width), H = double(im.height);
  const Annotation a{im.id, int64_t(cls), {(cx - w / 2) * W, (cy - h / 2) * H, w * W, h * H}, 1};
  check_on_image(path, a.box, im, where);
  return a;
}

}  // namespace

Dataset read_coco(const std::string& path) {
  const json j = read_json(path);
  if (!j.is_object()) fail(path, "is not a COCO object (images, categories, annotations)");
  Dataset d{coco_images(path, j), coco_categories(path, j), {}};
  std::map<int64_t, const ImageInfo*> images;
  for (const ImageInfo& im : d.images) images[im.id] = &im;
  std::set<int64_t> categories;
  for (const Category& c : d.categories) categories.insert(c.id);
  const json list = j.value("annotations", json::array());
  if (!list.is_array()) fail(path, "'annotations' is not a list");
  for (size_t i = 0; i < list.size(); ++i) {
    const json& e = list[i];
    const std::string where = "annotations[" + std::to_string(i) + "]";
    Annotation a{field<int64_t>(path, e, "image_id", where),
                 field<int64_t>(path, e, "category_id", where), coco_box(path, e, where), 1};
    auto im = images.find(a.image_id);
    if (im == images.end()) fail(path, where + ": no image has id " + std::to_string(a.image_id));
    if (!categories.count(a.category_id))
      fail(path, where + ": no category has id " + std::to_string(a.category_id));
    check_on_image(path, a.box, *im->second, where);
    d.annotations.push_back(a);
  }
  return d;
}

void write_coco(const std::string& path, const Dataset& d) {
  json images = json::array(), categories = json::array(), annotations = json::array();
  for (const ImageInfo& im : d.images)
    images.push_back(
        {{"id", im.id}, {"file_name", im.file_name}, {"width", im.width}, {"height", im.height}});
  for (const Category& c : d.categories) categories.push_back({{"id", c.id}, {"name", c.name}});
  for (size_t i = 0; i < d.annotations.size(); ++i) {
    const Annotation& a = d.annotations[i];
    annotations.push_back({{"id", int64_t(i) + 1},
                           {"image_id", a.image_id},
                           {"category_id", a.category_id},
                           {"bbox", coco_bbox(a.box)},
                           {"area", a.box.width * a.box.height},
                           {"iscrowd", 0}});
  }
  write_atomically(
      path,
      json{{"images", images}, {"categories", categories}, {"annotations", annotations}}.dump(1) +
          "\n");
}

std::vector<Annotation> read_coco_results(const std::string& path) {
  const json j = read_json(path);
  if (!j.is_array()) fail(path, "is not a COCO results list");
  std::vector<Annotation> out;
  for (size_t i = 0; i < j.size(); ++i) {
    const std::string where = "entry " + std::to_string(i);
    const double score = field<double>(path, j[i], "score", where);
    if (!(score >= 0 && score <= 1)) fail(path, where + ": score must be in [0, 1]");
    out.push_back({field<int64_t>(path, j[i], "image_id", where),
                   field<int64_t>(path, j[i], "category_id", where), coco_box(path, j[i], where),
                   score});
  }
  return out;
}

void write_coco_results(const std::string& path, const std::vector<Annotation>& detections) {
  json out = json::array();
  for (const Annotation& a : detections)
    out.push_back({{"image_id", a.image_id},
                   {"category_id", a.category_id},
                   {"bbox", coco_bbox(a.box)},
                   {"score", a.score}});
  write_atomically(path, out.dump(1) + "\n");
}

std::vector<Category> read_yolo_classes(const std::string& path) {
  if (!fs::is_regular_file(path)) fail(path, "no such file (YOLO class names)");
  std::vector<Category> categories;
  std::ifstream names(path);
  int64_t number = 0;
  for (std::string line; std::getline(names, line);) {
    ++number;
    line.erase(line.find_last_not_of(" \t\r") + 1);
    if (std::any_of(line.begin(), line.end(),
                    [](char c) { return std::iscntrl((unsigned char)c); }))
      fail(path, "line " + std::to_string(number) + ": a class name holds control characters");
    if (!line.empty()) categories.push_back({int64_t(categories.size()), line});
  }
  if (categories.empty()) fail(path, "names no class");
  return categories;
}

Dataset read_yolo_labels(const std::vector<ImageInfo>& images,
                         const std::vector<std::string>& label_files,
                         const std::vector<Category>& categories) {
  if (label_files.size() != images.size())
    throw std::invalid_argument("read_yolo_labels: a label file per image");
  Dataset d{images, categories, {}};
  for (size_t i = 0; i < images.size(); ++i) {
    const ImageInfo& im = images[i];
    const std::string& path = label_files[i];
    std::ifstream in(path);
    if (!in) continue;  // no label file: no objects on that image
    int64_t number = 0;
    for (std::string line; std::getline(in, line);) {
      ++number;
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      d.annotations.push_back(yolo_box(path, number, line, im, categories.size()));
    }
  }
  return d;
}

Dataset read_yolo(const std::string& folder, const std::vector<ImageInfo>& images) {
  std::vector<std::string> label_files;
  for (const ImageInfo& im : images)
    label_files.push_back((fs::path(folder) / fs::path(im.file_name).stem()).string() + ".txt");
  return read_yolo_labels(images, label_files,
                          read_yolo_classes((fs::path(folder) / "classes.txt").string()));
}

void write_yolo(const std::string& folder, const Dataset& d) {
  fs::create_directories(folder);
  std::vector<Category> categories = d.categories;
  std::sort(categories.begin(), categories.end(),
            [](const Category& a, const Category& b) { return a.id < b.id; });
  std::map<int64_t, int64_t> class_of;
  std::string names;
  for (size_t k = 0; k < categories.size(); ++k) {
    class_of[categories[k].id] = int64_t(k);
    names += categories[k].name + "\n";
  }
  write_atomically((fs::path(folder) / "classes.txt").string(), names);
  for (const ImageInfo& im : d.images) {
    std::ostringstream out;
    out.precision(8);
    for (const Annotation& a : d.annotations) {
      if (a.image_id != im.id) continue;
      const auto cls = class_of.find(a.category_id);
      if (cls == class_of.end())
        fail(folder, "an annotation of image " + std::to_string(im.id) + " names category " +
                         std::to_string(a.category_id) + ", which is not among the categories");
      const double W = double(im.width), H = double(im.height);
      out << cls->second << ' ' << (a.box.x + a.box.width / 2) / W << ' '
          << (a.box.y + a.box.height / 2) / H << ' ' << a.box.width / W << ' ' << a.box.height / H
          << '\n';
    }
    write_atomically((fs::path(folder) / fs::path(im.file_name).stem()).string() + ".txt",
                     out.str());
  }
}

}  // namespace tessera::ecology
