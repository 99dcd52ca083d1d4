#pragma once
// Layout: how a tensor's elements lie in memory, as a plain value every backend can read.
//
// A layout is strided and optionally blocked, the way oneDNN and cuDNN describe memory: the
// logical dims are padded up to whole blocks, each dim's outer index steps by a stride, and inner
// blocks (channel blocks of 8 or 16, say) are stored innermost. Row-major ("plain") is the
// layout with no blocks and decreasing strides; convolutions may hand a channel-blocked layout
// (nChw8c) to the next op without a reorder.
//
//   Layout p = Layout::plain({2, 3, 32, 32});
//   Layout b = Layout::channel_blocked({2, 3, 32, 32}, 8);   // nChw8c, channels padded to 8
//   Tensor xb = x.to_layout(b);
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace tessera {

using Shape = std::vector<int64_t>;

std::string to_string(const Shape& shape);
int64_t product(const Shape& shape);

enum class DataType : uint8_t { f32, bf16, f16, s32, s8, u8 };

std::size_t size_of(DataType t);  // bytes per element
std::string to_string(DataType t);

struct Layout {
  // One inner block: `size` consecutive indices of dim `dim` stored together.
  struct Block {
    int dim = 0;
    int64_t size = 1;
    bool operator==(const Block&) const = default;
  };

  Shape dims;  // the logical shape
  DataType dtype = DataType::f32;
  Shape padded_dims;          // dims rounded up to whole blocks (the padding holds zeros)
  Shape strides;              // per dim, in elements: the step of the dim's outer (block) index
  std::vector<Block> blocks;  // inner blocks, outermost first

  // Row-major.
  static Layout plain(const Shape& dims, DataType dtype = DataType::f32);
  // Channels (dim 1) in blocks of `block`, everything else row-major outside them: nCw8c,
  // nChw8c, nCdhw16c. The channels are padded up to a multiple of the block.
  static Layout channel_blocked(const Shape& dims, int64_t block, DataType dtype = DataType::f32);

  bool is_plain() const;
  std::size_t bytes() const;  // of the whole buffer, padding included
  // The same element order. The stride of a dim of size 1 never moves an element, so it is not
  // compared (oneDNN may give such dims any stride: [N,1,H,W] channels-last is also plain).
  bool operator==(const Layout& other) const;
};

// "f32 [2,3,32,32] plain" or "f32 [2,3,32,32] strides [...] blocks 1:8"
std::string to_string(const Layout& layout);

}  // namespace tessera
