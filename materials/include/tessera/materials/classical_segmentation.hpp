#pragma once
// Classical baselines beside the weakly supervised network, trained on the same presence tags:
//   otsu    one threshold (Otsu's) over lightly smoothed intensity: dark and bright clusters;
//   kmeans  k-means on intensity and smoothed intensity, clusters numbered by brightness;
//   forest  the pixel random forest of Fiji's Trainable Weka Segmentation and of ilastik, on
//           the filter bank of pixel_features.hpp, trained on pixels of single-phase regions.
// The clusters of otsu and kmeans are named after phases by clusters_to_phases.
//
//   ClassicalSegmenter s = train_classical_segmenter(regions, phases, "forest");
//   cv::Mat labels = classical_phase_map(s, pixels);   // CV_8U, a phase index per pixel
//   save_classical_segmenter("forest.yml", s);
#include <cstdint>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "tessera/materials/phase_segmenter.hpp"
#include "tessera/materials/random_forest.hpp"

namespace tessera::materials {

// pixels [H, W] CV_32F -> [H, W] CV_8U: 1 where the image smoothed by a Gaussian of sigma 1 is
// above Otsu's threshold of the smoothed image, 0 elsewhere. The smoothing averages away pixel
// noise that would scatter single pixels across the threshold; at sigma 1 it moves edges by
// less than a pixel. Throws std::invalid_argument for another type or an empty image.
cv::Mat otsu_phase_map(const cv::Mat& pixels);

// pixels [H, W] CV_32F -> [H, W] CV_8U clusters 0..k-1 of k-means on (intensity, intensity
// smoothed by a Gaussian of sigma 2), numbered by increasing mean intensity. The same image and
// seed give the same map. Throws std::invalid_argument for k outside 2..255.
cv::Mat kmeans_phase_map(const cv::Mat& pixels, int k, uint64_t seed);

// The phase of each of k clusters, from cluster maps (CV_8U, values below k) of tagged regions
// and their presence tags (one per phase, `phases` of them). A cluster goes to the phase of
// highest lift: the share of the cluster's pixels that lie in regions tagged with the phase,
// divided by the share of all pixels that do. A lift above 1 says the cluster gathers where the
// phase is; dividing by the phase's share keeps a phase tagged almost everywhere (the matrix)
// from taking every cluster, though it also means such a phase wins a cluster only when no
// rarer phase is enriched in it. A cluster absent from every region goes to the phase of most
// tagged pixels; ties go to the lower phase index. Throws std::invalid_argument for maps and
// tags of different counts, tags of another length than `phases`, or a cluster at or beyond k.
std::vector<int> clusters_to_phases(const std::vector<cv::Mat>& cluster_maps,
                                    const std::vector<std::vector<bool>>& tags, int k, int phases);

struct PixelForestOptions {
  int pixels_per_phase = 20000;  // at most this many training pixels of each phase, at random
  ForestOptions forest{};
};

struct PixelForest {
  std::vector<std::string> phases{};
  RandomForest forest{};  // on pixel_features, classes are phase indices
};

// The pixel forest from tagged regions: every pixel of a region tagged with exactly one phase
// is labelled that phase; regions of several phases are left out, since which of their pixels
// is which phase is what the forest is to learn. A phase tagged in no region alone (a network
// along grain boundaries never fills a tile) falls back on the regions of fewest tags that
// include it: their pixels are labelled that phase, less those that a first forest, trained on
// the phases tagged alone, gives to another phase tagged in the same region (a {matrix,
// network} tile's matrix pixels are explained by the matrix). What remains of other phases
// there is label noise, which the vote of many trees partly outweighs. Each phase gives a
// random sample of at most pixels_per_phase pixels, so a common phase does not drown a rare
// one. Features are computed over each region's own pixels (regions hold only their crop), so
// pixels near a region's edge see mirrored surroundings rather than the image around them.
// Throws std::invalid_argument for no regions, tags of another length than `phases`, or fewer
// than two phases with any pixels.
PixelForest train_pixel_forest(const std::vector<TaggedRegion>& regions,
                               std::vector<std::string> phases, const PixelForestOptions& o = {});

// pixels [H, W] CV_32F -> [H, W] CV_8U, the forest's phase index for each pixel.
cv::Mat pixel_forest_map(const PixelForest& f, const cv::Mat& pixels);

struct ClassicalOptions {
  int clusters = 4;  // kmeans: k
  uint64_t seed = 0;
  PixelForestOptions forest{};
};

struct ClassicalSegmenter {
  std::string method{};  // "otsu", "kmeans" or "forest"
  std::vector<std::string> phases{};
  double um_per_px = 0;  // the pixel size it was trained at; 0: images as they are
  // otsu and kmeans: the clusters of every image come from the same fitted model, so that a
  // cluster means the same everywhere, and cluster_phase names each one's phase.
  std::vector<int> cluster_phase{};
  double threshold = 0;   // otsu: sigma-1 smoothed intensity at or above it is cluster 1
  cv::Mat centres{};      // kmeans: [k, 2] CV_32F (intensity, smoothed intensity), by brightness
  RandomForest forest{};  // forest: classes are phase indices
};

// otsu and kmeans fit their threshold or centres to the pixels of all regions together (at most
// 200000 of them, at random), cluster every region with them and name the clusters by
// clusters_to_phases; forest is train_pixel_forest. Throws SettingError("method") for another
// method, and std::invalid_argument as train_pixel_forest does.
ClassicalSegmenter train_classical_segmenter(const std::vector<TaggedRegion>& regions,
                                             std::vector<std::string> phases,
                                             const std::string& method,
                                             const ClassicalOptions& o = {});

// pixels [H, W] CV_32F at the segmenter's pixel size -> [H, W] CV_8U phase indices.
cv::Mat classical_phase_map(const ClassicalSegmenter& s, const cv::Mat& pixels);

// One YAML file (cv::FileStorage) with task "materials_classical_segmenter", method, phases,
// um_per_px and the fitted model, written to a temporary beside it and renamed into place.
// Throws std::invalid_argument for a segmenter of another method or not trained.
void save_classical_segmenter(const std::string& path, const ClassicalSegmenter& s);
// Throws std::runtime_error "<path> ..." for a missing file or one that is not a classical
// segmenter.
ClassicalSegmenter load_classical_segmenter(const std::string& path);

}  // namespace tessera::materials
