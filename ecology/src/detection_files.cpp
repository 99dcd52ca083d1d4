#include "tessera/ecology/detection_files.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <sstream>
#include <stdexcept>

#include <nlohmann/json.hpp>
#include <opencv2/imgproc.hpp>

#include "tessera/formats/csv_table.hpp"
#include "tessera/io/json_text.hpp"

namespace tessera::ecology {

using formats::csv_field;

std::string detections_csv(const std::vector<ImageInfo>& images,
                           const std::vector<Category>& categories,
                           const std::vector<Annotation>& detections, double score_threshold) {
  std::map<int64_t, const ImageInfo*> image;
  std::map<int64_t, std::string> name;
  for (const ImageInfo& i : images) image[i.id] = &i;
  for (const Category& c : categories) name[c.id] = c.name;
  std::ostringstream out;
  out.precision(10);
  out << "file,image_id,category_id,category,score,x,y,width,height\n";
  for (const Annotation& d : detections)
    if (d.score >= score_threshold)
      out << csv_field(image.at(d.image_id)->file_name) << "," << d.image_id << "," << d.category_id
          << "," << csv_field(name.at(d.category_id)) << "," << d.score << "," << d.box.x << ","
          << d.box.y << "," << d.box.width << "," << d.box.height << "\n";
  return out.str();
}

std::string detection_photos_json(const DetectionPhotos& p) {
  nlohmann::json images = nlohmann::json::array(), categories = nlohmann::json::array();
  for (const ImageInfo& im : p.photos.images)
    images.push_back(
        {{"id", im.id}, {"file_name", im.file_name}, {"width", im.width}, {"height", im.height}});
  for (const Category& c : p.photos.categories)
    categories.push_back({{"id", c.id}, {"name", c.name}});
  return nlohmann::json{{"score_threshold", p.score_threshold},
                        {"images", images},
                        {"categories", categories},
                        {"annotations", nlohmann::json::array()}}
             .dump(1) +
         "\n";
}

DetectionPhotos read_detection_photos(const std::string& path) {
  DetectionPhotos p{read_coco(path), 0.5};
  const nlohmann::json j = read_json_file(path);
  const auto t = j.find("score_threshold");
  if (t == j.end() || !t->is_number() || !(t->get<double>() >= 0 && t->get<double>() <= 1))
    throw std::runtime_error(path + ": no score_threshold in [0, 1] (not written by detect?)");
  p.score_threshold = t->get<double>();
  return p;
}

namespace {

// Path components of a photo's name, as a key that ignores "./" and the separator used.
std::vector<std::string> name_parts(const std::string& file_name) {
  std::vector<std::string> parts;
  for (const auto& p : std::filesystem::path(file_name).lexically_normal())
    if (!p.empty() && p != ".") parts.push_back(p.generic_string());
  return parts;
}

// Whether one name is the other with leading folders added.
bool ends_alike(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  const std::size_t n = std::min(a.size(), b.size());
  return n > 0 && std::equal(a.end() - long(n), a.end(), b.end() - long(n));
}

// The index in `run` of the photo named like `t`.
std::size_t run_photo_of(const ImageInfo& t, const std::vector<ImageInfo>& run,
                         const std::string& source) {
  const std::vector<std::string> key = name_parts(t.file_name);
  std::vector<std::size_t> exact, alike;
  for (std::size_t i = 0; i < run.size(); ++i) {
    const std::vector<std::string> other = name_parts(run[i].file_name);
    if (other == key)
      exact.push_back(i);
    else if (ends_alike(other, key))
      alike.push_back(i);
  }
  const std::vector<std::size_t>& found = exact.empty() ? alike : exact;
  if (found.empty())
    throw std::runtime_error(source + ": the annotated photo " + t.file_name +
                             " is not among the photos detect ran on; run detect on the "
                             "annotated photos");
  if (found.size() > 1)
    throw std::runtime_error(source + ": the annotated photo " + t.file_name + " could be any of " +
                             run[found[0]].file_name + " and " + run[found[1]].file_name +
                             " of the detect run; run detect with the annotations");
  return found[0];
}

}  // namespace

std::vector<Annotation> join_by_file_name(const std::vector<Annotation>& detections,
                                          const std::vector<ImageInfo>& run,
                                          const std::vector<ImageInfo>& truth,
                                          const std::string& source) {
  std::map<int64_t, int64_t> truth_id;                     // run id -> truth id
  std::map<int64_t, const ImageInfo*> truth_of_run_photo;  // to refuse two on one
  for (const ImageInfo& t : truth) {
    const ImageInfo& r = run[run_photo_of(t, run, source)];
    const auto [other, fresh] = truth_of_run_photo.emplace(r.id, &t);
    if (!fresh)
      throw std::runtime_error(source + ": the annotated photos " + other->second->file_name +
                               " and " + t.file_name + " both match " + r.file_name +
                               " of the detect run; run detect with the annotations");
    truth_id[r.id] = t.id;
  }
  std::vector<Annotation> out;
  for (Annotation a : detections) {
    const auto id = truth_id.find(a.image_id);
    if (id == truth_id.end()) continue;
    a.image_id = id->second;
    out.push_back(a);
  }
  return out;
}

cv::Mat draw_detections(const cv::Mat& bgr, const std::vector<Annotation>& detections,
                        const std::vector<Category>& categories, double score_threshold) {
  // Colours that stay visible on a yellow trap: blue, magenta, red, dark green, ...
  static const cv::Scalar palette[] = {{255, 64, 0},  {255, 0, 255}, {0, 0, 255},   {0, 128, 0},
                                       {128, 0, 128}, {0, 96, 192},  {128, 128, 0}, {64, 64, 64}};
  std::map<int64_t, size_t> index;
  for (size_t c = 0; c < categories.size(); ++c) index[categories[c].id] = c;
  std::vector<int64_t> count(categories.size(), 0);
  cv::Mat out = bgr.clone();
  const int thickness = std::max(1, std::min(out.cols, out.rows) / 600);
  for (const Annotation& d : detections) {
    if (d.score < score_threshold) continue;
    const size_t c = index.at(d.category_id);
    ++count[c];
    cv::rectangle(out,
                  cv::Rect(cv::Point(int(std::lround(d.box.x)), int(std::lround(d.box.y))),
                           cv::Point(int(std::lround(d.box.x + d.box.width)),
                                     int(std::lround(d.box.y + d.box.height)))),
                  palette[c % 8], thickness);
  }
  const double scale = std::max(0.5, double(std::min(out.cols, out.rows)) / 1000);
  int y = int(30 * scale);
  for (size_t c = 0; c < categories.size(); ++c, y += int(30 * scale)) {
    const std::string text = categories[c].name + ": " + std::to_string(count[c]);
    cv::putText(out, text, {int(10 * scale), y}, cv::FONT_HERSHEY_SIMPLEX, scale, {255, 255, 255},
                4 * thickness);
    cv::putText(out, text, {int(10 * scale), y}, cv::FONT_HERSHEY_SIMPLEX, scale, palette[c % 8],
                thickness + 1);
  }
  return out;
}

}  // namespace tessera::ecology
