#include "region_graph.hpp"

#include <algorithm>
#include <numeric>

namespace tessera::connectomics {

RegionGraph::RegionGraph(uint64_t count) {
  grow(count);
}

void RegionGraph::grow(uint64_t count) {
  const uint64_t before = parent_.empty() ? 0 : uint64_t(parent_.size());
  parent_.resize(count + 1);
  faces_.resize(count + 1);
  for (uint64_t i = before; i <= count; ++i) parent_[i] = i;
}

void RegionGraph::add(uint64_t a, uint64_t b, double sum, double count) {
  Face& f = faces_[a][b];
  f.sum += sum;
  f.count += count;
  faces_[b][a] = f;
}

void RegionGraph::add_block(const uint64_t* ids, const Tensor& aff, const Shape& s) {
  const int64_t h = s[1], w = s[2], n = s[0] * h * w;
  const int64_t step[3] = {h * w, w, 1};
  const float* a = aff.data();
  for (int64_t i = 0; i < n; ++i) {
    const int64_t pos[3] = {i / (h * w), (i / w) % h, i % w};
    for (int c = 0; c < 3; ++c) {
      if (pos[c] == 0) continue;
      const uint64_t u = ids[i], v = ids[i - step[c]];
      if (u != v && u && v) add(u, v, a[c * n + i]);
    }
  }
}

void RegionGraph::queue_all() {
  for (uint64_t a = 1; a < faces_.size(); ++a)
    for (const auto& [b, f] : faces_[a])
      if (a < b) queue_.push({f.mean(), a, b});
  queued_ = true;
}

void RegionGraph::merge_above(double threshold) {
  if (!queued_) queue_all();
  while (!queue_.empty() && queue_.top().mean > threshold) {
    const Candidate c = queue_.top();
    queue_.pop();
    if (find(c.a) != c.a || find(c.b) != c.b) continue;  // one side was merged away
    auto it = faces_[c.a].find(c.b);
    if (it == faces_[c.a].end() || it->second.mean() != c.mean) continue;  // stale
    merge(c.a, c.b);
  }
}

uint64_t RegionGraph::find(uint64_t x) {
  while (parent_[x] != x) x = parent_[x] = parent_[parent_[x]];
  return x;
}

// The smaller face list goes into the larger; shared neighbours' faces add up.
void RegionGraph::merge(uint64_t a, uint64_t b) {
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

std::vector<uint64_t> RegionGraph::segment_ids() {
  std::vector<uint64_t> root_id(parent_.size(), 0), out(parent_.size(), 0);
  uint64_t next = 0;
  for (uint64_t f = 1; f < parent_.size(); ++f) {
    uint64_t& r = root_id[find(f)];
    if (!r) r = ++next;
    out[f] = r;
  }
  return out;
}

std::vector<std::vector<uint64_t>> RegionGraph::segment_ids_at(
    const std::vector<double>& thresholds) {
  std::vector<size_t> order(thresholds.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(),
            [&](size_t x, size_t y) { return thresholds[x] > thresholds[y]; });
  std::vector<std::vector<uint64_t>> maps(thresholds.size());
  for (size_t k : order) {
    merge_above(thresholds[k]);
    maps[k] = segment_ids();
  }
  return maps;
}

}  // namespace tessera::connectomics
