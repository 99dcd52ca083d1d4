#include "tessera/tile/receptive_field.hpp"

#include <cmath>
#include <numeric>
#include <stdexcept>

namespace tessera {

namespace {

// Per axis: how many input voxels one step at this point of the network spans (jump), how far
// the receptive field reaches (radius, input voxels), and the lcm of integer jumps seen.
struct Reach {
  std::vector<double> jump, radius;
  Shape stride;
};

Reach join(const std::vector<Reach>& inputs, const std::string& where) {
  Reach r = inputs.at(0);
  for (const Reach& o : inputs) {
    for (size_t a = 0; a < r.jump.size(); ++a) {
      if (std::abs(o.jump[a] - r.jump[a]) > 1e-9)
        throw std::invalid_argument(where + ": inputs at different resolutions cannot be joined");
      r.radius[a] = std::max(r.radius[a], o.radius[a]);
      r.stride[a] = std::lcm(r.stride[a], o.stride[a]);
    }
  }
  return r;
}

void note_stride(Reach& r) {
  for (size_t a = 0; a < r.jump.size(); ++a) {
    const double j = r.jump[a];
    if (j >= 1 && std::abs(j - std::round(j)) < 1e-9)
      r.stride[a] = std::lcm(r.stride[a], static_cast<int64_t>(std::llround(j)));
  }
}

Reach through_geometry(const Geometry& g, Reach r, const std::string& type) {
  const size_t n = r.jump.size();
  auto at = [&](const Shape& v, size_t a, int64_t def) {
    if (v.empty()) return def;
    if (v.size() != n)
      throw std::invalid_argument("the network's " + type + " layer is " +
                                  std::to_string(v.size()) + "D but the input is " +
                                  std::to_string(n) + "D");
    return v[a];
  };
  switch (g.kind) {
    case Geometry::Kind::pointwise:
      return r;
    case Geometry::Kind::global:
      throw std::invalid_argument("the network's " + type +
                                  " layer makes every output depend on the whole input, so it "
                                  "cannot be run by tiles; run it on the whole input instead");
    case Geometry::Kind::crop_to_reference:
      throw std::invalid_argument(
          "the network's " + type +
          " layer crops by the size of the whole input, so it cannot be run by tiles; use a "
          "padded network, or run it on the whole input");
    case Geometry::Kind::window:
      for (size_t a = 0; a < n; ++a) {
        const int64_t k = at(g.kernel, a, 1), s = at(g.stride, a, 1), p = at(g.padding, a, 0),
                      d = at(g.dilation, a, 1);
        r.radius[a] += double(std::max(p, (k - 1) * d - p)) * r.jump[a];
        r.jump[a] *= double(s);
      }
      break;
    case Geometry::Kind::transposed:
      for (size_t a = 0; a < n; ++a) {
        const int64_t k = at(g.kernel, a, 1), s = at(g.stride, a, 1), p = at(g.padding, a, 0),
                      d = at(g.dilation, a, 1);
        // Output o reads inputs i with i*s - p + t*d = o, t < k: |i*s - o| <= max(p, (k-1)d - p)
        // output steps, each jump/s input voxels.
        r.radius[a] += double(std::max(p, (k - 1) * d - p)) * r.jump[a] / double(s);
        r.jump[a] /= double(s);
      }
      break;
    case Geometry::Kind::upsample:
      for (size_t a = 0; a < n; ++a) {
        r.radius[a] += r.jump[a];  // linear interpolation reads the neighbour
        r.jump[a] /= double(at(g.scale, a, 1));
      }
      break;
  }
  note_stride(r);
  return r;
}

Reach walk(Module& m, const Reach& in);

// Through a module's children as its topology wires them: the reach of its last node.
Reach walk_nodes(const Topology& t, const Reach& in) {
  std::vector<Reach> out;
  for (const Topology::Node& node : t.nodes) {
    std::vector<Reach> args;
    for (int i : node.inputs)
      args.push_back(i == Topology::input ? in : out.at(static_cast<size_t>(i)));
    out.push_back(walk(*node.module, join(args, "node '" + node.name + "'")));
  }
  return out.empty() ? in : out.back();
}

Reach walk(Module& m, const Reach& in) {
  const Topology t = m.topology();
  if (!t.nodes.empty() || t.runs_by_node) return walk_nodes(t, in);
  return through_geometry(m.geometry(), in, m.type());
}

}  // namespace

Shape ReceptiveField::halo() const {
  Shape h(radius.size());
  for (size_t a = 0; a < radius.size(); ++a)
    h[a] = (radius[a] + stride[a] - 1) / stride[a] * stride[a];
  return h;
}

ReceptiveField receptive_field(Module& model, int spatial_dims) {
  if (spatial_dims < 1 || spatial_dims > 3)
    throw std::invalid_argument("receptive_field: 1 to 3 spatial dims");
  const size_t n = static_cast<size_t>(spatial_dims);
  const Reach r =
      walk(model, {std::vector<double>(n, 1.0), std::vector<double>(n, 0.0), Shape(n, 1)});
  ReceptiveField rf{Shape(n), r.stride, r.jump};
  for (size_t a = 0; a < n; ++a) rf.radius[a] = static_cast<int64_t>(std::ceil(r.radius[a] - 1e-9));
  return rf;
}

}  // namespace tessera
