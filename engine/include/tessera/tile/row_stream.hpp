#pragma once
// Streaming a network along one spatial axis, so that no row is computed twice.
//
// Tiles with halos recompute the overlap of neighbouring tiles at every layer. Along one spatial
// axis (z of a volume, say) tessera streams instead: input rows go in chunk
// by chunk, every layer computes each of its output rows once, as soon as the rows it reads are
// there, and keeps only the rows its readers still need (a skip connection keeps its rows until
// the decoder catches up). The result is the whole-input result, row for row, with memory set
// by the chunk and the network's reach, not by the length of the axis.
//
//   RowStream stream(net, 3);
//   for (int64_t z = 0; z < depth; z += 16) {
//     Tensor y = stream.push(rows_of_input(z, 16), z + 16 >= depth);   // [1, C', r, H, W]
//     write(y, stream.rows_out() - rows(y));
//   }
//
// A convolution runs on exactly the input rows its new output rows read, with its padding along
// the streamed axis replaced by explicit zero rows at the true edges of the volume, so no row is
// computed twice; pooling without padding, pointwise layers and joins need nothing more. Other
// layers (transposed convolution, upsampling, reversible blocks, which are streamed as one layer
// with their combined reach) run on a chunk with their own padding, and keep the output rows
// whose reach stays inside the chunk or crosses the true edge of the volume; a few rows at a
// chunk's inner edge may be computed again with the next chunk.
#include <cstdint>
#include <deque>
#include <memory>
#include <vector>

#include "tessera/nn/module.hpp"

namespace tessera {

class RowStream {
 public:
  // Throws std::invalid_argument for networks that cannot be tiled (see receptive_field). The
  // model's weights are read as they are now; build a new stream after changing them.
  // `axis`: the spatial axis streamed (0: z of a volume, y of an image).
  RowStream(Module& model, int spatial_dims, int axis = 0);

  // x [1, C, *S]: the next rows of the input along the streamed axis (the other axes the same
  // in every call), from any device. last: no rows follow. Returns the output rows that are
  // now final, in order, as [1, C', *S'] on the model's device, or an undefined tensor when
  // none are.
  Tensor push(const Tensor& x, bool last);

  int64_t rows_out() const;  // output rows returned so far
  bool done() const;         // the last output row has been returned

 private:
  // How a layer's output rows read its input rows along the streamed axis.
  struct Reach {
    enum class Kind { pointwise, window, transposed, upsample, composite };
    Kind kind = Kind::pointwise;
    int64_t kernel = 1, stride = 1, padding = 0, dilation = 1;  // window, transposed
    int64_t scale = 1;                                          // upsample
    double composite_jump = 1, radius = 0;                      // composite
    double jump() const;                                        // input rows per output row
    int64_t first(int64_t o) const;  // first input row output row o reads (may be < 0)
    int64_t last(int64_t o) const;   // last input row it reads
  };

  struct Node {
    Module* module = nullptr;          // nullptr: the network's input
    std::unique_ptr<Module> unpadded;  // the convolution without padding along the rows
    bool exact = false;  // runs on exactly the rows it reads (windows without pooling padding)
    Reach reach;
    int64_t align = 1;  // a padded run's chunk starts at a multiple of this (its stride)
    double scale = 1;   // input rows of the network per output row of this layer
    std::vector<size_t> inputs, readers;
    // Output rows [first, produced), as the chunks that made them: a skip that holds many rows
    // is never copied into one tensor.
    std::deque<Tensor> pieces;
    int64_t pieces_first = 0;  // the first row of pieces.front(); <= first
    int64_t first = 0, produced = 0;
    Shape row_shape;    // of the output (any rows), known from the first rows made
    bool done = false;  // every output row has been produced
  };

  static Reach kernel_reach(Reach::Kind kind, const Geometry& g, int axis);
  size_t add(Module& m, const std::vector<size_t>& inputs, int dims);
  bool advance(size_t i);  // whether node i made rows
  void release(size_t i);  // drops the rows of node i that no reader needs any more
  int64_t rows_per_run(const Node& n) const;
  int64_t output_length(const Node& n, int64_t input_rows) const;
  Tensor run_exact(const Node& n, int64_t end) const;
  Tensor run_padded(const Node& n, int64_t to, int64_t end, bool final) const;
  int64_t first_needed(const Node& n) const;
  Tensor take(const Node& n, int64_t from, int64_t to) const;
  Tensor take_padded(const Node& n, int64_t from, int64_t to) const;
  void append(Node& n, const Tensor& rows) const;

  int axis_ = 0;   // the streamed spatial axis
  int dim_ = 2;    // its tensor dimension
  Device device_;  // the model's: rows pushed are copied there, rows returned stay there
  std::vector<Node> nodes_;
  size_t output_ = 0;
  int64_t chunk_ = 1;  // the most input rows pushed at once
};

}  // namespace tessera
