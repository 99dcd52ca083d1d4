#include "tessera/model/unet.hpp"

#include <stdexcept>

#include "tessera/model/coupling.hpp"
#include "tessera/nn/layers.hpp"
#include "tessera/rev/reversible.hpp"

namespace tessera {

namespace {

// Appends [conv 3 -> norm -> activation] reading `from`; returns the activation node.
int conv_block(Graph& g, const UNetOptions& o, int from, int64_t in, int64_t out) {
  const Shape k(static_cast<size_t>(o.dims), 3);
  const Shape pad(static_cast<size_t>(o.dims), o.padded ? 1 : 0);
  int h = g.add(std::make_unique<Conv>(ConvOptions{
                    .in_channels = in, .out_channels = out, .kernel = k, .padding = pad}),
                from);
  switch (o.norm) {
    case UNetOptions::Norm::batch:
      for (auto& m : batch_norm_then(out, o.activation)) h = g.add(std::move(m), h);
      return h;
    case UNetOptions::Norm::group:
      h = g.add(std::make_unique<GroupNorm>(
                    GroupNormOptions{.channels = out, .groups = std::min(o.norm_groups, out)}),
                h);
      break;
    case UNetOptions::Norm::none:
      break;
  }
  return g.add(block_activation(o.activation), h);
}

// One level's convolutions: two conv blocks, or one and a reversible stage.
int level_convs(Graph& g, const UNetOptions& o, int from, int64_t in, int64_t out) {
  const int h = conv_block(g, o, from, in, out);
  if (!o.reversible) return conv_block(g, o, h, out, out);
  auto stage = std::make_unique<RevSequence>();
  for (int b = 0; b < o.rev_blocks; ++b)
    stage->add(make_coupling({.dims = o.dims,
                              .channels = out,
                              .batch_norm = o.norm == UNetOptions::Norm::batch,
                              .activation = o.activation}));
  return g.add(std::move(stage), h);
}

}  // namespace

std::unique_ptr<Graph> make_unet(const UNetOptions& o) {
  if (o.dims != 2 && o.dims != 3) throw std::invalid_argument("unet: dims must be 2 or 3");
  if (o.channels.empty()) throw std::invalid_argument("unet: needs at least one level");
  if (o.reversible && o.rev_blocks < 1)
    throw std::invalid_argument("unet: rev_blocks must be >= 1");
  for (int64_t c : o.channels)
    if (o.reversible && c % 2)
      throw std::invalid_argument("unet: a reversible U-Net needs even channel counts");
  const Shape two(static_cast<size_t>(o.dims), 2);
  auto g = std::make_unique<Graph>();

  std::vector<int> skips;
  int h = Graph::input;
  int64_t in = o.in_channels;
  for (size_t level = 0; level < o.channels.size(); ++level) {
    if (level > 0) h = g->add(std::make_unique<Pool>(PoolParams{.kind = o.down, .kernel = two}), h);
    h = level_convs(*g, o, h, in, o.channels[level]);
    in = o.channels[level];
    skips.push_back(h);
  }
  for (size_t level = o.channels.size() - 1; level-- > 0;) {
    const int64_t c = o.channels[level];
    h = g->add(
        std::make_unique<Conv>(
            ConvOptions{.in_channels = in, .out_channels = c, .kernel = two, .stride = two}, true),
        h);
    int skip = skips[level];
    if (!o.padded) skip = g->add(std::make_unique<CenterCrop>(), {skip, h});
    h = g->add(std::make_unique<Concat>(1), {h, skip});
    h = level_convs(*g, o, h, 2 * c, c);
    in = c;
  }
  const Shape one(static_cast<size_t>(o.dims), 1);
  g->add(std::make_unique<Conv>(
             ConvOptions{.in_channels = in, .out_channels = o.out_channels, .kernel = one}),
         h);
  g->initialize(o.seed);
  return g;
}

}  // namespace tessera
