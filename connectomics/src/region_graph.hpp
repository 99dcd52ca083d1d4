#pragma once
// The region adjacency graph of fragments that agglomeration merges: each edge carries the sum
// and count of the nearest-neighbour affinities across the two fragments' shared face. Shared
// by whole-volume agglomeration and the slab-streaming segmenter.
#include <cstdint>
#include <queue>
#include <unordered_map>
#include <vector>

#include "tessera/tensor/tensor.hpp"

namespace tessera::connectomics {

class RegionGraph {
 public:
  // Fragments 1..count.
  explicit RegionGraph(uint64_t count);

  uint64_t fragments() const { return uint64_t(parent_.size() - 1); }
  void grow(uint64_t count);  // fragments 1..count from now on
  // Adds `count` voxel pairs of total affinity `sum` to the face between a and b.
  void add(uint64_t a, uint64_t b, double sum, double count = 1);
  // Adds the faces inside a block of fragment ids [d, h, w] (row-major) with the affinities
  // aff [1, >=3, d, h, w] (channel a links voxel i and i - e_a).
  void add_block(const uint64_t* ids, const Tensor& aff, const Shape& size);
  // Merges, highest mean face first, while the best mean is above `threshold`; a lower
  // threshold later only adds merges.
  void merge_above(double threshold);
  // fragment -> segment id 1..K (0 stays 0) as the merges stand now.
  std::vector<uint64_t> segment_ids();
  // segment_ids() after merging down to each threshold (highest first, since a lower one only
  // adds merges); the maps come back in the order of `thresholds`.
  std::vector<std::vector<uint64_t>> segment_ids_at(const std::vector<double>& thresholds);

 private:
  struct Face {
    double sum = 0, count = 0;
    double mean() const { return sum / count; }
  };
  struct Candidate {
    double mean;
    uint64_t a, b;
    bool operator<(const Candidate& o) const { return mean < o.mean; }
  };
  uint64_t find(uint64_t x);
  void merge(uint64_t a, uint64_t b);
  void queue_all();

  std::vector<uint64_t> parent_;
  std::vector<std::unordered_map<uint64_t, Face>> faces_;
  std::priority_queue<Candidate> queue_;
  bool queued_ = false;
};

}  // namespace tessera::connectomics
