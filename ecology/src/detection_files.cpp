#include "tessera/ecology/detection_files.hpp"

#include <cmath>
#include <map>
#include <sstream>
#include <stdexcept>

#include <opencv2/imgproc.hpp>

#include "csv_table.hpp"

namespace tessera::ecology {

std::string detections_csv(const std::vector<ImageInfo>& images,
                           const std::vector<Category>& categories,
                           const std::vector<Annotation>& detections) {
  std::map<int64_t, const ImageInfo*> image;
  std::map<int64_t, std::string> name;
  for (const ImageInfo& i : images) image[i.id] = &i;
  for (const Category& c : categories) name[c.id] = c.name;
  std::ostringstream out;
  out.precision(10);
  out << "file,image_id,category_id,category,score,x,y,width,height\n";
  for (const Annotation& d : detections)
    out << csv_field(image.at(d.image_id)->file_name) << "," << d.image_id << "," << d.category_id
        << "," << csv_field(name.at(d.category_id)) << "," << d.score << "," << d.box.x << ","
        << d.box.y << "," << d.box.width << "," << d.box.height << "\n";
  return out.str();
}

std::vector<Annotation> read_detections_csv(const std::string& path, std::vector<ImageInfo>& images,
                                            std::vector<Category>& categories) {
  const CsvTable t = read_csv_table(path);
  const char* names[] = {"file", "image_id", "category_id", "category", "score",
                         "x",    "y",        "width",       "height"};
  int col[9];
  for (int k = 0; k < 9; ++k) {
    col[k] = t.column({names[k]});
    if (col[k] < 0) fail_at(path, 1, std::string("no '") + names[k] + "' column");
  }
  std::map<int64_t, std::string> file_of;
  std::map<int64_t, std::string> category_of;
  std::vector<Annotation> out;
  for (const CsvRow& r : t.rows) {
    auto number = [&](int k) {
      const std::string& s = r.cells[size_t(col[k])];
      size_t used = 0;
      double v = NAN;
      try {
        v = std::stod(s, &used);
      } catch (const std::exception&) {
      }
      if (used != s.size() || !std::isfinite(v))
        fail_at(path, r.line, std::string(names[k]) + " '" + s + "' is not a number");
      return v;
    };
    Annotation a{.image_id = int64_t(number(1)),
                 .category_id = int64_t(number(2)),
                 .box = {number(5), number(6), number(7), number(8)},
                 .score = number(4)};
    if (!(a.box.width > 0 && a.box.height > 0)) fail_at(path, r.line, "a box without area");
    const std::string& file = r.cells[size_t(col[0])];
    if (auto [it, fresh] = file_of.emplace(a.image_id, file); !fresh && it->second != file)
      fail_at(path, r.line, "image_id " + std::to_string(a.image_id) + " names two files");
    category_of.emplace(a.category_id, r.cells[size_t(col[3])]);
    out.push_back(a);
  }
  for (const auto& [id, file] : file_of) images.push_back({id, file, 0, 0});
  for (const auto& [id, name] : category_of) categories.push_back({id, name});
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
