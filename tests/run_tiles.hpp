#pragma once
// Tiled inference into memory, for tests: run_tiled over a tensor, the result as a tensor.
#include <memory>

#include "tessera/tile/tiled.hpp"

namespace tessera::testing {

// The executor owns (and drops) its sink; this one writes into a TensorSink the test keeps.
class KeptSink final : public VolumeSink {
 public:
  explicit KeptSink(std::shared_ptr<TensorSink> target) : target_(std::move(target)) {}
  void write(const Region& r, const Tensor& t) override { target_->write(r, t); }
  void commit() override { target_->commit(); }

 private:
  std::shared_ptr<TensorSink> target_;
};

inline Tensor run_tiles(Module& net, const Tensor& x, const TileOptions& o,
                        TileReport* report = nullptr) {
  TensorSource in(x);
  std::shared_ptr<TensorSink> result;
  const TileReport r = run_tiled(
      net, in,
      [&](int64_t channels) {
        result = std::make_shared<TensorSink>(channels, in.info().size);
        return std::make_unique<KeptSink>(result);
      },
      o);
  if (report) *report = r;
  return result->result();
}

}  // namespace tessera::testing
