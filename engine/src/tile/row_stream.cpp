#include "tessera/tile/row_stream.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "tessera/ops/shape_ops.hpp"
#include "tessera/tile/receptive_field.hpp"

namespace tessera {

namespace {

constexpr int64_t kNone = std::numeric_limits<int64_t>::max();

// Rows of t along tensor dimension `dim` (2 + the streamed spatial axis).
int64_t rows_of(const Tensor& t, int dim) {
  return t.defined() ? t.dim(dim) : 0;
}

int64_t floor_div(int64_t a, int64_t b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

int64_t ceil_div(int64_t a, int64_t b) {
  return -floor_div(-a, b);
}

// Rows [from, to) of t along tensor dimension `dim`.
Tensor slice_rows(const Tensor& t, int dim, int64_t from, int64_t to) {
  if (from == 0 && to == rows_of(t, dim)) return t;
  Shape offsets(t.shape().size(), 0), shape = t.shape();
  offsets[size_t(dim)] = from;
  shape[size_t(dim)] = to - from;
  return crop(t, offsets, shape);
}

int64_t on_axis(const Shape& v, int axis, int64_t fallback) {
  return v.empty() ? fallback : v[size_t(axis)];
}

}  // namespace

// A window or transposed layer's kernel, stride, padding and dilation along `axis`.
RowStream::Reach RowStream::kernel_reach(Reach::Kind kind, const Geometry& g, int axis) {
  return {.kind = kind,
          .kernel = on_axis(g.kernel, axis, 1),
          .stride = on_axis(g.stride, axis, 1),
          .padding = on_axis(g.padding, axis, 0),
          .dilation = on_axis(g.dilation, axis, 1)};
}

int64_t RowStream::Reach::first(int64_t o) const {
  switch (kind) {
    case Kind::pointwise:
      return o;
    case Kind::window:
      return o * stride - padding;
    case Kind::transposed:  // inputs i with i * stride - padding + t * dilation = o, t < kernel
      return ceil_div(o + padding - (kernel - 1) * dilation, stride);
    case Kind::upsample:  // nearest reads o / scale, linear one neighbour more on either side
      return floor_div(o, scale) - 1;
    case Kind::composite:
      return static_cast<int64_t>(std::floor(double(o) * composite_jump - radius));
  }
  return o;
}

double RowStream::Reach::jump() const {
  switch (kind) {
    case Kind::pointwise:
      return 1;
    case Kind::window:
      return double(stride);
    case Kind::transposed:
      return 1.0 / double(stride);
    case Kind::upsample:
      return 1.0 / double(scale);
    case Kind::composite:
      return composite_jump;
  }
  return 1;
}

int64_t RowStream::Reach::last(int64_t o) const {
  switch (kind) {
    case Kind::pointwise:
      return o;
    case Kind::window:
      return o * stride - padding + (kernel - 1) * dilation;
    case Kind::transposed:
      return floor_div(o + padding, stride);
    case Kind::upsample:
      return floor_div(o, scale) + 1;
    case Kind::composite:
      return static_cast<int64_t>(std::ceil(double(o) * composite_jump + radius));
  }
  return o;
}

RowStream::RowStream(Module& model, int spatial_dims, int axis)
    : axis_(axis), dim_(2 + axis), device_(device_of(model)) {
  if (axis < 0 || axis >= spatial_dims)
    throw std::invalid_argument("row stream: axis " + std::to_string(axis) + " of a " +
                                std::to_string(spatial_dims) + "D network");
  nodes_.emplace_back();  // the input
  output_ = add(model, {0}, spatial_dims);
}

size_t RowStream::add(Module& m, const std::vector<size_t>& inputs, int dims) {
  // Containers that run node by node are streamed node by node; anything else (a layer, a
  // reversible block) is one layer of the stream.
  const Topology t = m.topology();
  if (t.runs_by_node) {
    std::vector<size_t> ids;
    for (const Topology::Node& node : t.nodes) {
      std::vector<size_t> args;
      for (int in : node.inputs)
        args.push_back(in == Topology::input ? inputs.at(0) : ids.at(static_cast<size_t>(in)));
      ids.push_back(add(*node.module, args, dims));
    }
    return ids.empty() ? inputs.at(0) : ids.back();
  }
  const ReceptiveField f = receptive_field(m, dims);  // refuses layers that cannot be tiled
  Node n;
  n.module = &m;
  n.inputs = inputs;
  const size_t a = size_t(axis_);
  n.align = f.stride[a];
  n.scale = nodes_[inputs.at(0)].scale * f.jump[a];
  const Geometry g = m.geometry();
  using Kind = Reach::Kind;
  switch (g.kind) {
    case Geometry::Kind::pointwise:
      // Reversible blocks state no geometry of their own: their reach is their children's.
      n.reach = f.radius[a] == 0 && f.jump[a] == 1.0 ? Reach{.kind = Kind::pointwise}
                                                     : Reach{.kind = Kind::composite,
                                                             .composite_jump = f.jump[a],
                                                             .radius = double(f.radius[a])};
      n.exact = n.reach.kind == Kind::pointwise;
      break;
    case Geometry::Kind::window:
      n.reach = kernel_reach(Kind::window, g, axis_);
      // Zero rows are a convolution's padding; pooling pads differently (max ignores it).
      if (n.reach.padding > 0 && g.zero_padding) n.unpadded = m.without_padding(axis_);
      n.exact = n.reach.padding == 0 || n.unpadded != nullptr;
      break;
    case Geometry::Kind::transposed:
      n.reach = kernel_reach(Kind::transposed, g, axis_);
      break;
    case Geometry::Kind::upsample:
      n.reach = {.kind = Kind::upsample, .scale = on_axis(g.scale, axis_, 1)};
      break;
    case Geometry::Kind::global:
    case Geometry::Kind::crop_to_reference:
      break;  // receptive_field has refused them
  }
  nodes_.push_back(std::move(n));
  const size_t id = nodes_.size() - 1;
  for (size_t in : inputs) nodes_[in].readers.push_back(id);
  return id;
}

int64_t RowStream::rows_out() const {
  return nodes_[output_].produced;
}

bool RowStream::done() const {
  return nodes_[output_].done;
}

Tensor RowStream::push(const Tensor& x, bool last) {
  Node& in = nodes_[0];
  if (in.done) throw std::logic_error("row stream: rows pushed after the last ones");
  if (x.defined() && x.ndim() < 3)
    throw std::invalid_argument("row stream: input " + to_string(x.shape()) +
                                " has no spatial axis");
  if (x.defined() && !in.row_shape.empty()) {
    Shape a = x.shape(), b = in.row_shape;
    a[size_t(dim_)] = b[size_t(dim_)] = 0;
    if (a != b)
      throw std::invalid_argument("row stream: input rows " + to_string(x.shape()) +
                                  " do not continue rows of " + to_string(in.row_shape));
  }
  if (rows_of(x, dim_) > 0) append(in, x.to(device_));
  chunk_ = std::max(chunk_, rows_of(x, dim_));
  in.done = last;
  // Each layer makes at most a chunk's worth of rows per pass, so the rows that lag behind
  // (skips, the reach of deep layers) are not all computed at once at the end.
  for (bool progress = true; progress;) {
    progress = false;
    for (size_t i = 1; i < nodes_.size(); ++i) progress = advance(i) || progress;
  }

  // The output's rows are final once produced: hand them over and keep none.
  Node& out = nodes_[output_];
  const Tensor y = out.produced > out.first ? take(out, out.first, out.produced) : Tensor();
  out.pieces.clear();
  out.first = out.pieces_first = out.produced;
  return y;
}

// The first input row that node n's next run reads (rows before it can be dropped).
int64_t RowStream::first_needed(const Node& n) const {
  if (n.done) return kNone;
  const int64_t from = std::max<int64_t>(0, n.reach.first(n.produced));
  return n.exact ? from : from / n.align * n.align;
}

Tensor RowStream::take(const Node& n, int64_t from, int64_t to) const {
  if (from < n.first || to > n.produced || from >= to)
    throw std::logic_error("row stream: rows [" + std::to_string(from) + ", " + std::to_string(to) +
                           ") asked of a node holding [" + std::to_string(n.first) + ", " +
                           std::to_string(n.produced) + ")");
  std::vector<Tensor> parts;
  int64_t start = n.pieces_first;
  for (const Tensor& piece : n.pieces) {
    const int64_t end = start + rows_of(piece, dim_);
    if (end > from && start < to)
      parts.push_back(
          slice_rows(piece, dim_, std::max(from, start) - start, std::min(to, end) - start));
    start = end;
  }
  return parts.size() == 1 ? parts[0] : concat(parts, dim_);
}

// Rows [from, to) of node n, with zero rows where they lie outside [0, produced) (the padding of
// whole-input inference, at the true edges of the volume).
Tensor RowStream::take_padded(const Node& n, int64_t from, int64_t to) const {
  const int64_t lo = std::max<int64_t>(from, 0), hi = std::min(to, n.produced);
  if (lo == from && hi == to) return take(n, from, to);
  Shape shape = n.row_shape;
  shape[size_t(dim_)] = to - from;
  if (hi <= lo) return Tensor::zeros(shape, device_);
  Shape offsets(shape.size(), 0);
  offsets[size_t(dim_)] = lo - from;
  return crop_backward(take(n, lo, hi).to_plain(), shape, offsets);
}

void RowStream::append(Node& n, const Tensor& rows) const {
  if (n.row_shape.empty()) n.row_shape = rows.shape();
  n.pieces.push_back(rows);
  n.produced += rows_of(rows, dim_);
}

// At most a chunk's worth of rows per run at this layer's resolution.
int64_t RowStream::rows_per_run(const Node& n) const {
  return std::max<int64_t>(1, static_cast<int64_t>(std::ceil(double(chunk_) / n.scale)));
}

// Rows of an exact layer's output over `input_rows` rows of input.
int64_t RowStream::output_length(const Node& n, int64_t input_rows) const {
  const Reach& r = n.reach;
  if (r.kind == Reach::Kind::pointwise) return input_rows;
  return floor_div(input_rows + 2 * r.padding - (r.kernel - 1) * r.dilation - 1, r.stride) + 1;
}

// A layer that runs on exactly the rows it reads: output rows [produced, end).
Tensor RowStream::run_exact(const Node& n, int64_t end) const {
  const int64_t from = n.reach.first(n.produced), to = n.reach.last(end - 1) + 1;
  std::vector<Tensor> args;
  for (size_t in : n.inputs) args.push_back(take_padded(nodes_[in], from, to));
  Module& m = n.unpadded ? *n.unpadded : *n.module;
  const Tensor y = m.forward(args, Mode::eval);
  if (rows_of(y, dim_) != end - n.produced)
    throw std::logic_error("row stream: " + m.type() + " gave " + std::to_string(rows_of(y, dim_)) +
                           " rows for " + std::to_string(end - n.produced));
  return y;
}

// A layer that runs on input rows [first_needed, to) with its own padding: the output rows
// whose reach stays inside them, or crosses the true edge of the volume (final: `to` is the
// end), are the whole-input rows. Returns rows [produced, end), or to the end when final.
Tensor RowStream::run_padded(const Node& n, int64_t to, int64_t end, bool final) const {
  const int64_t from = first_needed(n);
  std::vector<Tensor> args;
  for (size_t in : n.inputs) args.push_back(take(nodes_[in], from, to));
  const Tensor y = n.module->forward(args, Mode::eval);
  // Output row o of the chunk's run is row o + from / jump of the whole input's.
  const double jump = n.reach.jump();
  const int64_t offset = std::llround(double(from) / jump);
  if (std::abs(double(offset) * jump - double(from)) > 1e-6 || offset > n.produced)
    throw std::logic_error("row stream: a chunk of " + n.module->type() +
                           " is not aligned to its stride");
  end = final ? offset + rows_of(y, dim_) : std::min(end, offset + rows_of(y, dim_));
  if (end <= n.produced) return {};
  return slice_rows(y, dim_, n.produced - offset, end - offset);
}

bool RowStream::advance(size_t i) {
  Node& n = nodes_[i];
  if (n.done) return false;
  // Inputs of a layer with several (concat, add) share their row coordinates.
  int64_t available = kNone;
  bool at_end = true;
  for (size_t in : n.inputs) {
    available = std::min(available, nodes_[in].produced);
    at_end = at_end && nodes_[in].done;
  }
  if (at_end)
    for (size_t in : n.inputs)
      if (nodes_[in].produced != available)
        throw std::invalid_argument("row stream: the inputs of the network's " + n.module->type() +
                                    " layer differ in length (" +
                                    std::to_string(nodes_[in].produced) + " and " +
                                    std::to_string(available) + " rows)");
  // Rows are final when the last row they read is there: the first row that is not, found by
  // doubling and halving (last() grows with the row).
  int64_t end = n.produced;
  if (n.reach.last(end) < available) {
    int64_t step = 1;
    while (n.reach.last(end + step) < available) end += step, step *= 2;
    for (; step > 0; step /= 2)
      if (n.reach.last(end + step) < available) end += step;
    ++end;
  }
  const int64_t cap = n.produced + rows_per_run(n);
  Tensor y;
  if (n.exact) {
    const int64_t length = at_end ? output_length(n, available) : kNone;
    if (at_end) end = length;
    end = std::min(end, cap);
    if (end > n.produced) y = run_exact(n, end);
    n.done = at_end && end == length;
  } else {
    const int64_t from = first_needed(n);
    end = std::min(end, cap);
    // At the end, the rest in one run once it is no more than a run's worth.
    const bool final =
        at_end &&
        (end <= n.produced || double(available - from) <= double(rows_per_run(n)) * n.reach.jump());
    if (from >= available)
      n.done = at_end;
    else if (final)
      y = run_padded(n, available, kNone, true), n.done = true;
    else if (end > n.produced)
      y = run_padded(n, n.reach.last(end - 1) + 1, end, false);
  }
  if (rows_of(y, dim_) > 0) append(n, y);
  for (size_t in : n.inputs) release(in);
  return rows_of(y, dim_) > 0;
}

void RowStream::release(size_t i) {
  Node& n = nodes_[i];
  if (i == output_) return;
  int64_t keep = kNone;
  for (size_t r : n.readers) keep = std::min(keep, first_needed(nodes_[r]));
  keep = std::min(keep, n.produced);
  if (keep <= n.first) return;
  n.first = keep;
  while (!n.pieces.empty() && n.pieces_first + rows_of(n.pieces.front(), dim_) <= keep) {
    n.pieces_first += rows_of(n.pieces.front(), dim_);
    n.pieces.pop_front();
  }
  // A chunk of which a few rows are still needed (a convolution's overlap) keeps just those.
  if (!n.pieces.empty() && 2 * (keep - n.pieces_first) > rows_of(n.pieces.front(), dim_)) {
    const Tensor& front = n.pieces.front();
    n.pieces.front() = slice_rows(front, dim_, keep - n.pieces_first, rows_of(front, dim_));
    n.pieces_first = keep;
  }
}

}  // namespace tessera
