// Mean-affinity agglomeration of a whole volume's fragments.
#include <algorithm>
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

  const std::vector<std::vector<uint64_t>> maps = graph.segment_ids_at(thresholds);
  std::vector<LabelVolume> out;
  for (const std::vector<uint64_t>& to : maps) {
    LabelVolume seg{s, fragments.ids, fragments.spacing};
    for (uint64_t& id : seg.ids) id = to[id];
    out.push_back(std::move(seg));
  }
  return out;
}

}  // namespace tessera::connectomics
