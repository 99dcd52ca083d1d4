#include "tessera/materials/classical_segmentation.hpp"

#include <algorithm>
#include <filesystem>
#include <limits>
#include <numeric>
#include <random>
#include <ranges>
#include <set>
#include <stdexcept>

#include <opencv2/imgproc.hpp>

#include "seeded_rng.hpp"
#include "tessera/io/atomic_file.hpp"
#include "tessera/io/settings.hpp"
#include "tessera/materials/pixel_features.hpp"

namespace tessera::materials {

namespace {

constexpr const char* kTask = "materials_classical_segmenter";
constexpr int64_t kPooledPixels = 200000;  // fitting otsu and kmeans: enough for 8-bit bins

void check_pixels(const cv::Mat& pixels, const char* what) {
  if (pixels.empty() || pixels.type() != CV_32FC1)
    throw std::invalid_argument(
        std::string(what).append(": the image must be non-empty CV_32F, one channel"));
}

cv::Mat gaussian(const cv::Mat& pixels, double sigma) {
  cv::Mat out;
  cv::GaussianBlur(pixels, out, cv::Size(), sigma, sigma, cv::BORDER_REFLECT);
  return out;
}

// Otsu's threshold of `values` (CV_32F, any shape) through OpenCV's, which wants 8 bits: the
// values' range is split into 256 bins, and the threshold returned is the lowest value of the
// bins above OpenCV's, so that `value >= threshold` is its `bin > t`.
double otsu_threshold(const cv::Mat& values) {
  double lo = 0, hi = 0;
  cv::minMaxLoc(values, &lo, &hi);
  if (!(hi > lo)) return std::nextafter(hi, std::numeric_limits<double>::infinity());
  const double scale = 255 / (hi - lo);
  cv::Mat bins, unused;
  values.convertTo(bins, CV_8U, scale, -lo * scale);
  const double t = cv::threshold(bins, unused, 0, 1, cv::THRESH_BINARY | cv::THRESH_OTSU);
  return lo + (t + 0.5) / scale;
}

cv::Mat at_or_above(const cv::Mat& values, double threshold) {
  cv::Mat out;
  cv::threshold(values >= threshold, out, 0, 1, cv::THRESH_BINARY);
  return out;
}

// pixels [H, W] -> [H*W, 2]: intensity and intensity smoothed at sigma 2 (which groups the
// particles of a spheroidite grain and the matrix between them apart from open matrix).
cv::Mat kmeans_samples(const cv::Mat& pixels) {
  cv::Mat out(int(pixels.total()), 2, CV_32F);
  const cv::Mat plain = pixels.isContinuous() ? pixels : pixels.clone();
  plain.reshape(1, int(pixels.total())).copyTo(out.col(0));
  gaussian(pixels, 2).reshape(1, int(pixels.total())).copyTo(out.col(1));
  return out;
}

// k-means centres [k, 2] of `samples` [n, 2], ordered by their intensity (column 0: the mean
// intensity of their members).
cv::Mat fit_centres(const cv::Mat& samples, int k, uint64_t seed) {
  if (samples.rows < k)
    throw std::invalid_argument(std::string("k-means: ")
                                    .append(std::to_string(samples.rows))
                                    .append(" pixels for ")
                                    .append(std::to_string(k))
                                    .append(" clusters"));
  cv::Mat labels, centres;
  const SeededTheRng seeded(seed);
  cv::kmeans(samples, k, labels, {cv::TermCriteria::EPS + cv::TermCriteria::COUNT, 100, 1e-5}, 3,
             cv::KMEANS_PP_CENTERS, centres);
  std::vector<int> order(static_cast<size_t>(k));
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(),
            [&](int a, int b) { return centres.at<float>(a, 0) < centres.at<float>(b, 0); });
  cv::Mat sorted(k, samples.cols, CV_32F);
  for (int i = 0; i < k; ++i) centres.row(order[size_t(i)]).copyTo(sorted.row(i));
  return sorted;
}

// samples [H*W, d] -> [H, W] CV_8U, the index of each sample's nearest centre.
cv::Mat nearest_centre(const cv::Mat& samples, const cv::Mat& centres, cv::Size size) {
  cv::Mat out(size, CV_8U, cv::Scalar(0));  // 0 where every distance is NaN
  uint8_t* labels = out.ptr<uint8_t>();
  for (int i = 0; i < samples.rows; ++i) {
    const float* x = samples.ptr<float>(i);
    float best = std::numeric_limits<float>::infinity();
    for (int c = 0; c < centres.rows; ++c) {
      const float* centre = centres.ptr<float>(c);
      float d = 0;
      for (int j = 0; j < samples.cols; ++j) d += (x[j] - centre[j]) * (x[j] - centre[j]);
      if (d < best) best = d, labels[i] = uint8_t(c);
    }
  }
  return out;
}

void check_tags(const std::vector<TaggedRegion>& regions, size_t phases, const char* what) {
  if (regions.empty()) throw std::invalid_argument(std::string(what).append(": no tagged regions"));
  if (phases < 1 || phases > 255)
    throw std::invalid_argument(std::string(what).append(": 1 to 255 phases are needed"));
  for (const TaggedRegion& r : regions) {
    if (r.present.size() != phases)
      throw std::invalid_argument(std::string(what)
                                      .append(": ")
                                      .append(r.name)
                                      .append(" has ")
                                      .append(std::to_string(r.present.size()))
                                      .append(" tags for ")
                                      .append(std::to_string(phases))
                                      .append(" phases"));
    check_pixels(r.pixels, what);
  }
}

// min(n, count) distinct indices below `count` in ascending order, each set of them equally
// likely (Floyd's algorithm: n draws whatever the count).
std::vector<int64_t> sample_indices(int64_t count, int64_t n, std::mt19937_64& rng) {
  std::set<int64_t> picked;
  for (int64_t j = std::max<int64_t>(0, count - n); j < count; ++j) {
    const int64_t t = std::uniform_int_distribution<int64_t>(0, j)(rng);
    picked.insert(picked.count(t) ? j : t);
  }
  return {picked.begin(), picked.end()};
}

// At most n pixels of the regions `chosen` (indices into `regions`), drawn at random without
// replacement over all their pixels together: for each chosen region, its pixels' indices
// (row-major) in ascending order.
std::vector<std::vector<int>> pick_pixels(const std::vector<TaggedRegion>& regions,
                                          const std::vector<size_t>& chosen, int64_t n,
                                          std::mt19937_64& rng) {
  std::vector<int64_t> starts = {0};
  for (size_t r : chosen) starts.push_back(starts.back() + int64_t(regions[r].pixels.total()));
  const std::vector<int64_t> picked = sample_indices(starts.back(), n, rng);
  std::vector<std::vector<int>> out(chosen.size());
  size_t r = 0;
  for (int64_t i : picked) {
    while (i >= starts[r + 1]) ++r;
    out[r].push_back(int(i - starts[r]));
  }
  return out;
}

// The rows `rows` of `m`, in their order.
cv::Mat take_rows(const cv::Mat& m, const std::vector<int>& rows) {
  cv::Mat out(int(rows.size()), m.cols, m.type());
  for (size_t i = 0; i < rows.size(); ++i) m.row(rows[i]).copyTo(out.row(int(i)));
  return out;
}

size_t tag_count(const TaggedRegion& r) {
  return size_t(std::ranges::count(r.present, true));
}

// The regions that teach phase p: those tagged with p alone, or when there are none, those of
// fewest tags that include it.
std::vector<size_t> regions_of_phase(const std::vector<TaggedRegion>& regions, size_t p) {
  size_t fewest = std::numeric_limits<size_t>::max();
  for (const TaggedRegion& r : regions)
    if (r.present[p]) fewest = std::min(fewest, tag_count(r));
  std::vector<size_t> out;
  for (size_t i = 0; i < regions.size(); ++i)
    if (regions[i].present[p] && tag_count(regions[i]) == fewest) out.push_back(i);
  return out;
}

// Training pixels of the pixel forest: their features, phases and regions.
struct PixelSamples {
  cv::Mat features{};  // [n, pixel features] CV_32F
  std::vector<int> labels{};
  std::vector<size_t> regions{};

  void append(const PixelSamples& more) {
    if (more.labels.empty()) return;
    features.push_back(more.features);
    labels.insert(labels.end(), more.labels.begin(), more.labels.end());
    regions.insert(regions.end(), more.regions.begin(), more.regions.end());
  }
};

// The picked pixels (pick_pixels) of the regions `chosen`, labelled `phase`.
PixelSamples samples_of(const std::vector<TaggedRegion>& regions, const std::vector<size_t>& chosen,
                        const std::vector<std::vector<int>>& picked, int phase) {
  PixelSamples out;
  for (size_t i = 0; i < chosen.size(); ++i) {
    if (picked[i].empty()) continue;
    out.features.push_back(take_rows(pixel_features(regions[chosen[i]].pixels), picked[i]));
    out.labels.insert(out.labels.end(), picked[i].size(), phase);
    out.regions.insert(out.regions.end(), picked[i].size(), chosen[i]);
  }
  return out;
}

// At most n of the candidates of a phase taught by regions of several tags, at random, leaving
// out those that `first` (the forest of the phases tagged alone; untrained: none) gives to
// another phase tagged in the same region: those pixels are explained by that phase.
PixelSamples unexplained(const PixelSamples& candidates, const RandomForest& first,
                         const std::vector<TaggedRegion>& regions, int n, std::mt19937_64& rng) {
  std::vector<int> keep;
  const std::vector<int> predicted = first.trained() && !candidates.labels.empty()
                                         ? first.predict_classes(candidates.features)
                                         : std::vector<int>{};
  for (size_t i = 0; i < candidates.labels.size(); ++i)
    if (predicted.empty() || !regions[candidates.regions[i]].present[size_t(predicted[i])])
      keep.push_back(int(i));
  std::shuffle(keep.begin(), keep.end(), rng);
  keep.resize(std::min(keep.size(), size_t(n)));
  std::sort(keep.begin(), keep.end());
  PixelSamples out{.features = take_rows(candidates.features, keep)};
  for (int i : keep) {
    out.labels.push_back(candidates.labels[size_t(i)]);
    out.regions.push_back(candidates.regions[size_t(i)]);
  }
  return out;
}

cv::Mat forest_map(const RandomForest& forest, const cv::Mat& pixels) {
  check_pixels(pixels, "pixel forest");
  const std::vector<int> phases = forest.predict_classes(pixel_features(pixels));
  cv::Mat out(pixels.size(), CV_8U);
  std::transform(phases.begin(), phases.end(), out.ptr<uint8_t>(),
                 [](int p) { return uint8_t(p); });
  return out;
}

// Clusters of `pixels` under a fitted otsu or kmeans segmenter.
cv::Mat cluster_map(const ClassicalSegmenter& s, const cv::Mat& pixels) {
  if (s.method == "otsu") return at_or_above(gaussian(pixels, 1), s.threshold);
  return nearest_centre(kmeans_samples(pixels), s.centres, pixels.size());
}

// Fits the threshold (otsu) or centres (kmeans) of `s` to a sample of all regions' pixels.
void fit_clusters(ClassicalSegmenter& s, const std::vector<TaggedRegion>& regions,
                  const ClassicalOptions& o) {
  std::vector<size_t> all(regions.size());
  std::iota(all.begin(), all.end(), size_t(0));
  std::mt19937_64 rng(o.seed * 7919 + 17);
  const auto picked = pick_pixels(regions, all, kPooledPixels, rng);
  cv::Mat pooled;
  for (size_t r = 0; r < regions.size(); ++r) {
    if (picked[r].empty()) continue;
    const cv::Mat samples =
        s.method == "otsu"
            ? gaussian(regions[r].pixels, 1).reshape(1, int(regions[r].pixels.total()))
            : kmeans_samples(regions[r].pixels);
    pooled.push_back(take_rows(samples, picked[r]));
  }
  if (s.method == "otsu")
    s.threshold = otsu_threshold(pooled);
  else
    s.centres = fit_centres(pooled, o.clusters, o.seed);
}

}  // namespace

cv::Mat otsu_phase_map(const cv::Mat& pixels) {
  check_pixels(pixels, "otsu");
  const cv::Mat smooth = gaussian(pixels, 1);
  return at_or_above(smooth, otsu_threshold(smooth));
}

cv::Mat kmeans_phase_map(const cv::Mat& pixels, int k, uint64_t seed) {
  check_pixels(pixels, "k-means");
  if (k < 2 || k > 255) throw std::invalid_argument("k-means: k must be 2 to 255");
  const cv::Mat samples = kmeans_samples(pixels);
  return nearest_centre(samples, fit_centres(samples, k, seed), pixels.size());
}

std::vector<int> clusters_to_phases(const std::vector<cv::Mat>& cluster_maps,
                                    const std::vector<std::vector<bool>>& tags, int k, int phases) {
  if (cluster_maps.size() != tags.size())
    throw std::invalid_argument("clusters to phases: a cluster map for each tagged region");
  // in_phase(c, p): pixels of cluster c in regions tagged p; of_cluster(c): in any region.
  cv::Mat in_phase(k, phases, CV_64F, cv::Scalar(0));
  std::vector<double> of_cluster(size_t(k), 0), of_phase(size_t(phases), 0);
  double total = 0;
  for (size_t r = 0; r < cluster_maps.size(); ++r) {
    if (tags[r].size() != size_t(phases))
      throw std::invalid_argument("clusters to phases: tags of another length than the phases");
    std::vector<double> counts(size_t(k), 0);
    const cv::Mat& m = cluster_maps[r];
    for (int y = 0; y < m.rows; ++y)
      for (int x = 0; x < m.cols; ++x) {
        const int c = m.at<uint8_t>(y, x);
        if (c >= k) throw std::invalid_argument("clusters to phases: a cluster beyond k");
        counts[size_t(c)] += 1;
      }
    for (int c = 0; c < k; ++c) {
      of_cluster[size_t(c)] += counts[size_t(c)];
      for (int p = 0; p < phases; ++p)
        if (tags[r][size_t(p)]) in_phase.at<double>(c, p) += counts[size_t(c)];
    }
    for (int p = 0; p < phases; ++p)
      if (tags[r][size_t(p)]) of_phase[size_t(p)] += double(m.total());
    total += double(m.total());
  }
  const int commonest = int(std::max_element(of_phase.begin(), of_phase.end()) - of_phase.begin());
  std::vector<int> out(size_t(k), commonest);
  for (int c = 0; c < k; ++c) {
    double best = -1;
    for (int p = 0; p < phases && of_cluster[size_t(c)] > 0; ++p) {
      if (of_phase[size_t(p)] == 0) continue;
      const double lift =
          (in_phase.at<double>(c, p) / of_cluster[size_t(c)]) / (of_phase[size_t(p)] / total);
      if (lift > best) best = lift, out[size_t(c)] = p;
    }
  }
  return out;
}

PixelForest train_pixel_forest(const std::vector<TaggedRegion>& regions,
                               std::vector<std::string> phases, const PixelForestOptions& o) {
  check_tags(regions, phases.size(), "pixel forest");
  if (o.pixels_per_phase < 1)
    throw std::invalid_argument("pixel forest: pixels_per_phase must be at least 1");
  std::mt19937_64 rng(o.forest.seed * 7919 + 29);
  PixelSamples single;
  std::vector<size_t> fallback;
  for (size_t p = 0; p < phases.size(); ++p) {
    const std::vector<size_t> chosen = regions_of_phase(regions, p);
    if (chosen.empty()) continue;
    if (tag_count(regions[chosen.front()]) > 1) {
      fallback.push_back(p);
      continue;
    }
    single.append(
        samples_of(regions, chosen, pick_pixels(regions, chosen, o.pixels_per_phase, rng), int(p)));
  }
  // The forest of the phases tagged alone explains away the pixels of fallback regions.
  const bool explain = std::set<int>(single.labels.begin(), single.labels.end()).size() >= 2;
  const RandomForest first =
      explain && !fallback.empty()
          ? RandomForest::train_classifier(single.features, single.labels, o.forest)
          : RandomForest{};
  PixelSamples all = std::move(single);
  for (size_t p : fallback) {
    const std::vector<size_t> chosen = regions_of_phase(regions, p);
    const PixelSamples candidates =
        samples_of(regions, chosen,
                   pick_pixels(regions, chosen, 4 * int64_t(o.pixels_per_phase), rng), int(p));
    all.append(unexplained(candidates, first, regions, o.pixels_per_phase, rng));
  }
  if (std::set<int>(all.labels.begin(), all.labels.end()).size() < 2)
    throw std::invalid_argument("pixel forest: fewer than two phases are tagged in any region");
  return {std::move(phases), RandomForest::train_classifier(all.features, all.labels, o.forest)};
}

cv::Mat pixel_forest_map(const PixelForest& f, const cv::Mat& pixels) {
  return forest_map(f.forest, pixels);
}

ClassicalSegmenter train_classical_segmenter(const std::vector<TaggedRegion>& regions,
                                             std::vector<std::string> phases,
                                             const std::string& method, const ClassicalOptions& o) {
  if (method != "otsu" && method != "kmeans" && method != "forest")
    throw SettingError("method", "'" + method + "' is not one of otsu, kmeans, forest");
  if (method == "kmeans" && (o.clusters < 2 || o.clusters > 255))
    throw SettingError("clusters", std::to_string(o.clusters) + " must be 2 to 255");
  ClassicalSegmenter s{.method = method, .phases = std::move(phases)};
  if (method == "forest") {
    PixelForest f = train_pixel_forest(regions, s.phases, o.forest);
    s.forest = std::move(f.forest);
    return s;
  }
  check_tags(regions, s.phases.size(), "classical segmenter");
  fit_clusters(s, regions, o);
  std::vector<cv::Mat> maps;
  std::vector<std::vector<bool>> tags;
  for (const TaggedRegion& r : regions) {
    maps.push_back(cluster_map(s, r.pixels));
    tags.push_back(r.present);
  }
  const int k = method == "otsu" ? 2 : o.clusters;
  s.cluster_phase = clusters_to_phases(maps, tags, k, int(s.phases.size()));
  return s;
}

cv::Mat classical_phase_map(const ClassicalSegmenter& s, const cv::Mat& pixels) {
  check_pixels(pixels, "classical segmenter");
  if (s.method == "forest") return forest_map(s.forest, pixels);
  cv::Mat table(1, 256, CV_8U, cv::Scalar(0)), out;
  for (size_t c = 0; c < s.cluster_phase.size(); ++c)
    table.at<uint8_t>(int(c)) = uint8_t(s.cluster_phase[c]);
  cv::LUT(cluster_map(s, pixels), table, out);
  return out;
}

void save_classical_segmenter(const std::string& path, const ClassicalSegmenter& s) {
  const bool fitted = s.method == "forest"   ? s.forest.trained()
                      : s.method == "otsu"   ? s.cluster_phase.size() == 2
                      : s.method == "kmeans" ? !s.centres.empty()
                                             : false;
  if (!fitted)
    throw std::invalid_argument("classical segmenter: '" + s.method +
                                "' is not a trained otsu, kmeans or forest segmenter");
  cv::FileStorage fs(".yml", cv::FileStorage::WRITE | cv::FileStorage::MEMORY);
  fs << "task" << kTask << "method" << s.method << "phases" << s.phases << "um_per_px"
     << s.um_per_px;
  if (s.method == "forest")
    s.forest.write(fs, "forest");
  else
    fs << "cluster_phase" << s.cluster_phase;
  if (s.method == "otsu") fs << "threshold" << s.threshold;
  if (s.method == "kmeans") fs << "centres" << s.centres;
  write_atomically(path, fs.releaseAndGetString());
}

namespace {

// The fitted parts of a segmenter read from `fs`, checked against its method and phases.
void read_model(const cv::FileStorage& fs, ClassicalSegmenter& s, const std::string& path) {
  auto fail = [&](const std::string& why) {
    throw std::runtime_error(std::string(path).append(": ").append(why));
  };
  const int phases = int(s.phases.size());
  if (phases < 1 || phases > 255) fail("a classical segmenter must name 1 to 255 phases");
  if (!(s.um_per_px >= 0)) fail("um_per_px must be zero or more");
  if (s.method == "forest") {
    s.forest = RandomForest::read(fs["forest"], path);
    if (!s.forest.is_classifier() || s.forest.classes().front() < 0 ||
        s.forest.classes().back() >= phases ||
        s.forest.features() != int(pixel_feature_names().size()))
      fail("the forest does not fit the phases or the pixel features");
    return;
  }
  fs["cluster_phase"] >> s.cluster_phase;
  if (s.method == "otsu") {
    if (fs["threshold"].empty() || s.cluster_phase.size() != 2)
      fail("an otsu segmenter without its threshold and the phases of its two clusters");
    s.threshold = double(fs["threshold"]);
  } else if (s.method == "kmeans") {
    fs["centres"] >> s.centres;
    if (s.centres.type() != CV_32F || s.centres.cols != 2 || s.centres.rows < 2 ||
        size_t(s.centres.rows) != s.cluster_phase.size())
      fail("a kmeans segmenter without its centres [k, 2] and a phase per cluster");
  } else {
    fail("'" + s.method + "' is not one of otsu, kmeans, forest");
  }
  for (int p : s.cluster_phase)
    if (p < 0 || p >= phases) fail("a cluster of a phase beyond the phases");
}

}  // namespace

ClassicalSegmenter load_classical_segmenter(const std::string& path) {
  if (!std::filesystem::is_regular_file(path))
    throw std::runtime_error(path + ": no such file (a classical segmenter was expected)");
  const std::string not_one =
      std::string(path)
          .append(" is not a classical segmenter (a YAML file whose task is ")
          .append(kTask)
          .append(")");
  cv::FileStorage fs;
  try {
    if (!fs.open(path, cv::FileStorage::READ) || !fs.root().isMap() || !fs["task"].isString() ||
        fs["task"].string() != kTask)
      throw std::runtime_error(not_one);
  } catch (const cv::Exception&) {
    throw std::runtime_error(not_one);
  }
  ClassicalSegmenter s;
  try {
    s.method = fs["method"].string();
    fs["phases"] >> s.phases;
    s.um_per_px = double(fs["um_per_px"]);
  } catch (const cv::Exception&) {
    throw std::runtime_error(path + ": a classical segmenter without its method or phases");
  }
  read_model(fs, s, path);
  return s;
}

}  // namespace tessera::materials
