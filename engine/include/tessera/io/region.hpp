#pragma once
// Regions and region-wise volume I/O: the one vocabulary shared by the tiled executor and every
// file format (HDF5, ITK, GDAL, OpenCV). Like ITK's streaming pipeline, a consumer asks for the
// region it needs and a writer receives only the region it is given, so neither the input nor
// the output has to fit in memory.
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tessera/tensor/tensor.hpp"

namespace tessera {

// A box in the spatial index space of a volume: [origin, origin + size) per axis, axes in the
// order (z,) y, x (slowest first, as in the tensors).
struct Region {
  Shape origin;
  Shape size;

  // The whole of a volume of `size`: origin 0.
  static Region whole(const Shape& size) { return {Shape(size.size(), 0), size}; }

  int64_t voxels() const { return product(size); }
  bool contains(const Region& r) const;
  Region intersect(const Region& r) const;  // empty (some size 0) when disjoint
  bool empty() const;
  std::string str() const;  // "[0:64, 32:96]"
};

// What a volume is: channels x spatial size, and physical spacing where the format has one.
struct VolumeInfo {
  int64_t channels = 1;
  Shape size{};                   // spatial, (z,) y, x
  std::vector<double> spacing{};  // per spatial axis; empty when unknown
  std::string description{};      // e.g. "uint8 HDF5 dataset volumes/raw"
  // Named text a file keeps beside its voxels (HDF5 string attributes), read and written by
  // the formats that have such a place (others ignore them): what the channels of a volume
  // mean, the settings that made it.
  std::map<std::string, std::string> attributes{};
};

// Reads regions of a volume as float tensors [1, C, *region.size].
class VolumeSource {
 public:
  virtual ~VolumeSource() = default;
  virtual const VolumeInfo& info() const = 0;
  // `region` must lie inside the volume (the tiled executor never asks for more).
  virtual Tensor read(const Region& region) = 0;
};

// Writes regions of a volume from float tensors [1, C, *region.size]. Output becomes visible
// under its final name only at commit(); without it nothing is left behind.
class VolumeSink {
 public:
  virtual ~VolumeSink() = default;
  virtual void write(const Region& region, const Tensor& data) = 0;
  virtual void commit() = 0;
};

// In-memory volume: the whole tensor [1, C, *S] held as one; for tests and small inputs.
class TensorSource final : public VolumeSource {
 public:
  explicit TensorSource(Tensor volume);
  const VolumeInfo& info() const override { return info_; }
  Tensor read(const Region& region) override;

 private:
  Tensor volume_;
  VolumeInfo info_;
};

class TensorSink final : public VolumeSink {
 public:
  TensorSink(int64_t channels, const Shape& size);
  void write(const Region& region, const Tensor& data) override;
  void commit() override {}
  const Tensor& result() const { return volume_; }

 private:
  Tensor volume_;
};

}  // namespace tessera
