// Mean-affinity agglomeration of a whole volume's fragments.
#include <algorithm>
#include <numeric>
#include <stdexcept>

#include "region_graph.hpp"
#include "tessera/connectomics/segmentation.hpp"

namespace tessera::connectomics {

std::vector<LabelVolume> agglomerate(const LabelVolume& fragments, const Tensor& aff_in,
                                     const std::vector<double>& thresholds) {
  const Tensor aff = aff_in.to_plain();
  const Shape& s = fragments.size;
  if (aff.ndim() != 5 || aff.dim(1) < 3 || Shape{aff.dim(2), aff.dim(3), aff.dim(4)} != s)
    throw std::invalid_argument("affinities " + to_string(aff.shape()) +
                                " do not match fragments of size " + to_string(s));
  RegionGraph graph(*std::max_element(fragments.ids.begin(), fragments.ids.end()));
  graph.add_block(fragments.ids.data(), aff, s);

  // Highest threshold first: each lower one only adds merges.
  std::vector<size_t> order(thresholds.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(),
            [&](size_t x, size_t y) { return thresholds[x] > thresholds[y]; });
  std::vector<LabelVolume> out(thresholds.size());
  for (size_t k : order) {
    graph.merge_above(thresholds[k]);
    const std::vector<uint64_t> to = graph.segment_ids();
    LabelVolume seg{s, fragments.ids, fragments.spacing};
    for (uint64_t& id : seg.ids) id = to[id];
    out[k] = std::move(seg);
  }
  return out;
}

}  // namespace tessera::connectomics
