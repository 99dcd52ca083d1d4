// Slab-streaming segmentation: watershed per slab, one region graph for the whole volume,
// a second pass that writes segment ids slab by slab.
#include <algorithm>
#include <cmath>
#include <map>
#include <stdexcept>

#include "region_graph.hpp"
#include "tessera/connectomics/segmentation.hpp"

namespace tessera::connectomics {

namespace {

// The first three channels of a slab read from `src`: [1, 3, n, H, W].
Tensor read_slab(VolumeSource& src, int64_t z0, int64_t n) {
  const VolumeInfo& info = src.info();
  const int64_t plane = info.size[1] * info.size[2];
  const Tensor all = src.read({{z0, 0, 0}, {n, info.size[1], info.size[2]}}).to_plain();
  Tensor out = Tensor::empty({1, 3, n, info.size[1], info.size[2]});
  std::copy_n(all.data(), 3 * n * plane, out.data());
  for (int64_t i = 0; i < out.numel(); ++i)
    if (!std::isfinite(out.data()[i]))
      throw std::invalid_argument("affinities hold NaN or infinite values (slices " +
                                  std::to_string(z0) + ".." + std::to_string(z0 + n - 1) + ")");
  return out;
}

// The faces across a seam between slabs: plane `ids` (this slab's first) against `below` (the
// last one's), linked by the z affinities `aff`. A fragment reaches into the membranes around
// its object, and a seam cuts through the object's whole cross-section, membranes included:
// the face is scored on the pairs inside objects on both sides (boundary below `inside`),
// and only where it has none on all of its pairs.
void add_seam(RegionGraph& graph, const uint64_t* ids, const uint64_t* below, const float* aff,
              const float* boundary, const float* boundary_below, int64_t plane, float inside) {
  struct Sums {
    double inner = 0, inner_count = 0, all = 0, all_count = 0;
  };
  std::map<std::pair<uint64_t, uint64_t>, Sums> faces;
  for (int64_t i = 0; i < plane; ++i) {
    const uint64_t u = ids[i], v = below[i];
    if (u == v || !u || !v) continue;
    Sums& s = faces[{u, v}];
    s.all += aff[i], s.all_count += 1;
    if (boundary[i] < inside && boundary_below[i] < inside) s.inner += aff[i], s.inner_count += 1;
  }
  for (const auto& [uv, s] : faces)
    if (s.inner_count > 0)
      graph.add(uv.first, uv.second, s.inner, s.inner_count);
    else
      graph.add(uv.first, uv.second, s.all, s.all_count);
}

}  // namespace

VolumeSegmentReport segment_volume(VolumeSource& src, const std::vector<VolumeSink*>& outputs,
                                   const VolumeSegmentOptions& o) {
  const VolumeInfo& info = src.info();
  if (info.size.size() != 3 || info.channels < 3)
    throw std::invalid_argument(
        "affinities are a 3D volume of at least 3 channels (-z, -y, -x), "
        "this is " +
        std::to_string(info.channels) + " x " + to_string(info.size));
  if (product(info.size) == 0)
    throw std::invalid_argument("affinities of size " + to_string(info.size) +
                                ": nothing to segment (an axis of length 0)");
  if (outputs.size() != o.thresholds.size())
    throw std::invalid_argument("segment_volume: one output per threshold");
  const int64_t d = info.size[0], h = info.size[1], w = info.size[2], plane = h * w;
  const int64_t per_slice = (100 + 4 * info.channels) * plane;
  const int64_t slab = o.slab > 0 ? std::min(o.slab, d)
                                  : std::clamp<int64_t>(int64_t(o.max_memory) / per_slice, 4, d);

  // Pass 1: fragments per slab, faces into one graph.
  VolumeSegmentReport r;
  RegionGraph graph(0);
  std::vector<uint64_t> previous_plane, counts;
  std::vector<float> previous_boundary;
  uint64_t offset = 0;
  for (int64_t z0 = 0; z0 < d; z0 += slab, ++r.slabs) {
    const int64_t n = std::min(slab, d - z0);
    const Tensor aff = read_slab(src, z0, n);
    const Tensor boundary = boundary_map(aff);
    LabelVolume frags = watershed_fragments(boundary, o.watershed);
    const uint64_t k = *std::max_element(frags.ids.begin(), frags.ids.end());
    for (uint64_t& id : frags.ids)
      if (id) id += offset;
    graph.grow(offset + k);
    graph.add_block(frags.ids.data(), aff, {n, h, w});
    if (z0 > 0)
      add_seam(graph, frags.ids.data(), previous_plane.data(), aff.data(), boundary.data(),
               previous_boundary.data(), plane, o.watershed.threshold);
    previous_plane.assign(frags.ids.end() - plane, frags.ids.end());
    previous_boundary.assign(boundary.data() + (n - 1) * plane, boundary.data() + n * plane);
    counts.push_back(k);
    offset += k;
  }
  r.fragments = offset;

  // Agglomeration: each threshold's fragment -> segment map.
  const std::vector<std::vector<uint64_t>> to = graph.segment_ids_at(o.thresholds);
  for (const std::vector<uint64_t>& map : to) {
    r.segments.push_back(*std::max_element(map.begin(), map.end()));
    if (r.segments.back() >= kLabelLimit)
      throw std::runtime_error(std::to_string(r.segments.back()) +
                               " segments: more than float32 volumes hold exactly (2^24)");
  }

  // Pass 2: the same fragments again (the watershed is deterministic), written as segments.
  offset = 0;
  for (int64_t z0 = 0, s = 0; z0 < d; z0 += slab, ++s) {
    const int64_t n = std::min(slab, d - z0);
    const LabelVolume frags = watershed_fragments(boundary_map(read_slab(src, z0, n)), o.watershed);
    const uint64_t k = *std::max_element(frags.ids.begin(), frags.ids.end());
    if (k != counts[size_t(s)])
      throw std::logic_error("segment_volume: the watershed changed between passes");
    Tensor out = Tensor::empty({1, 1, n, h, w});
    for (size_t t = 0; t < outputs.size(); ++t) {
      for (size_t i = 0; i < frags.ids.size(); ++i)
        out.data()[i] = frags.ids[i] ? float(to[t][frags.ids[i] + offset]) : 0.f;
      outputs[t]->write({{z0, 0, 0}, {n, h, w}}, out);
    }
    offset += k;
  }
  return r;
}

}  // namespace tessera::connectomics
