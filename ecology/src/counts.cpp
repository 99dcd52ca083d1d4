#include "tessera/ecology/counts.hpp"

#include <map>
#include <set>
#include <stdexcept>
#include <tuple>

#include "tessera/formats/csv_table.hpp"

namespace tessera::ecology {

using formats::csv_field;

std::vector<ImageCount> count_per_image(const std::vector<ImageInfo>& images,
                                        const std::vector<Category>& categories,
                                        const std::vector<CaptureInfo>& captures,
                                        const std::vector<Annotation>& detections,
                                        double score_threshold) {
  if (captures.size() != images.size())
    throw std::invalid_argument("count_per_image: " + std::to_string(captures.size()) +
                                " captures for " + std::to_string(images.size()) + " images");
  std::map<int64_t, size_t> image_index, category_index;
  for (size_t i = 0; i < images.size(); ++i) image_index[images[i].id] = i;
  for (size_t c = 0; c < categories.size(); ++c) category_index[categories[c].id] = c;
  // counts[image][category]
  std::vector<std::vector<int64_t>> counts(images.size(),
                                           std::vector<int64_t>(categories.size(), 0));
  for (const Annotation& a : detections) {
    auto im = image_index.find(a.image_id);
    auto cat = category_index.find(a.category_id);
    if (im == image_index.end())
      throw std::invalid_argument("a detection names image id " + std::to_string(a.image_id) +
                                  ", which is not among the images");
    if (cat == category_index.end())
      throw std::invalid_argument("a detection names category id " + std::to_string(a.category_id) +
                                  ", which is not known");
    if (a.score >= score_threshold) ++counts[im->second][cat->second];
  }
  std::vector<ImageCount> rows;
  for (size_t i = 0; i < images.size(); ++i) {
    const CaptureInfo& c = captures[i];
    const std::string night = c.time ? night_of(*c.time) : "";
    for (size_t k = 0; k < categories.size(); ++k)
      rows.push_back({.image = images[i].file_name,
                      .trap = c.trap,
                      .night = night,
                      .category = categories[k].name,
                      .count = counts[i][k]});
  }
  return rows;
}

std::vector<NightCount> count_per_night(const std::vector<ImageCount>& per_image) {
  using Key = std::tuple<std::string, std::string, std::string>;  // night, trap, category
  std::map<Key, int64_t> sums;
  std::map<std::pair<std::string, std::string>, std::set<std::string>> photos;  // of night, trap
  for (const ImageCount& r : per_image) {
    if (r.night.empty()) continue;
    sums[{r.night, r.trap, r.category}] += r.count;
    photos[{r.night, r.trap}].insert(r.image);
  }
  std::vector<NightCount> rows;
  for (const auto& [key, count] : sums) {
    const auto& [night, trap, category] = key;
    rows.push_back({.night = night,
                    .trap = trap,
                    .category = category,
                    .count = count,
                    .images = int64_t(photos.at({night, trap}).size())});
  }
  return rows;
}

std::string to_csv(const std::vector<ImageCount>& rows) {
  std::string out = "image,trap,night,category,count\n";
  for (const ImageCount& r : rows)
    out += csv_field(r.image) + "," + csv_field(r.trap) + "," + csv_field(r.night) + "," +
           csv_field(r.category) + "," + std::to_string(r.count) + "\n";
  return out;
}

std::string to_csv(const std::vector<NightCount>& rows) {
  std::string out = "night,trap,category,count,images\n";
  for (const NightCount& r : rows)
    out += csv_field(r.night) + "," + csv_field(r.trap) + "," + csv_field(r.category) + "," +
           std::to_string(r.count) + "," + std::to_string(r.images) + "\n";
  return out;
}

}  // namespace tessera::ecology
