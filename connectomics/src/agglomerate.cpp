// Mean-affinity agglomeration: a region adjacency graph of the fragments whose edges carry the
// sum and count of the nearest-neighbour affinities across each shared face, merged greedily
// from the highest mean down, with stale queue entries skipped.
#include <algorithm>
#include <numeric>
#include <queue>
#include <stdexcept>
#include <unordered_map>

#include "tessera/connectomics/segmentation.hpp"

namespace tessera::connectomics {

namespace {

struct Face {
  double sum = 0;
  double count = 0;
  double mean() const { return sum / count; }
};

struct Candidate {
  double mean;
  uint64_t a, b;
  bool operator<(const Candidate& o) const { return mean < o.mean; }
};

class RegionGraph {
 public:
  explicit RegionGraph(uint64_t fragments) : parent_(fragments + 1), faces_(fragments + 1) {
    std::iota(parent_.begin(), parent_.end(), uint64_t{0});
  }

  void add(uint64_t a, uint64_t b, double affinity) {
    Face& f = faces_[a][b];
    f.sum += affinity;
    f.count += 1;
    faces_[b][a] = f;
  }

  void queue_all() {
    for (uint64_t a = 1; a < faces_.size(); ++a)
      for (const auto& [b, f] : faces_[a])
        if (a < b) queue_.push({f.mean(), a, b});
  }

  // Merges while the best face's mean is above `threshold`.
  void merge_above(double threshold) {
    while (!queue_.empty() && queue_.top().mean > threshold) {
      const Candidate c = queue_.top();
      queue_.pop();
      if (find(c.a) != c.a || find(c.b) != c.b) continue;  // one side was merged away
      auto it = faces_[c.a].find(c.b);
      if (it == faces_[c.a].end() || it->second.mean() != c.mean) continue;  // stale
      merge(c.a, c.b);
    }
  }

  uint64_t find(uint64_t x) {
    while (parent_[x] != x) x = parent_[x] = parent_[parent_[x]];
    return x;
  }

 private:
  // The smaller face list goes into the larger; shared neighbours' faces add up.
  void merge(uint64_t a, uint64_t b) {
    if (faces_[a].size() < faces_[b].size()) std::swap(a, b);
    parent_[b] = a;
    faces_[a].erase(b);
    for (const auto& [n, f] : faces_[b]) {
      if (n == a) continue;
      Face& into = faces_[a][n];
      into.sum += f.sum;
      into.count += f.count;
      faces_[n].erase(b);
      faces_[n][a] = into;
      queue_.push({into.mean(), std::min(a, n), std::max(a, n)});
    }
    faces_[b].clear();
  }

  std::vector<uint64_t> parent_;
  std::vector<std::unordered_map<uint64_t, Face>> faces_;
  std::priority_queue<Candidate> queue_;
};

}  // namespace

std::vector<LabelVolume> agglomerate(const LabelVolume& fragments, const Tensor& aff_in,
                                     const std::vector<double>& thresholds) {
  const Tensor aff = aff_in.to_plain();
  const Shape& s = fragments.size;
  if (aff.ndim() != 5 || aff.dim(1) < 3 || Shape{aff.dim(2), aff.dim(3), aff.dim(4)} != s)
    throw std::invalid_argument("affinities " + to_string(aff.shape()) +
                                " do not match fragments of size " + to_string(s));
  const int64_t d = s[0], h = s[1], w = s[2], n = d * h * w;
  const uint64_t count = *std::max_element(fragments.ids.begin(), fragments.ids.end());
  RegionGraph graph(count);
  const int64_t step[3] = {h * w, w, 1};
  for (int64_t i = 0; i < n; ++i) {
    const int64_t pos[3] = {i / (h * w), (i / w) % h, i % w};
    for (int a = 0; a < 3; ++a) {
      if (pos[a] == 0) continue;
      const uint64_t u = fragments.ids[size_t(i)], v = fragments.ids[size_t(i - step[a])];
      if (u != v && u && v) graph.add(u, v, aff.data()[a * n + i]);
    }
  }
  graph.queue_all();

  // Highest threshold first: each lower one only adds merges.
  std::vector<size_t> order(thresholds.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(),
            [&](size_t x, size_t y) { return thresholds[x] > thresholds[y]; });
  std::vector<LabelVolume> out(thresholds.size());
  for (size_t k : order) {
    graph.merge_above(thresholds[k]);
    LabelVolume seg{s, fragments.ids, fragments.spacing};
    for (uint64_t& id : seg.ids)
      if (id) id = graph.find(id);
    relabel_sequential(seg);
    out[k] = std::move(seg);
  }
  return out;
}

}  // namespace tessera::connectomics
