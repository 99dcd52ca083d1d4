#include "tessera/connectomics/labels.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <unordered_map>

#include "tessera/formats/volume_io.hpp"

namespace tessera::connectomics {

namespace {

// z, y, x of a volume's spatial size (2D images are one slice).
Shape as_zyx(const Shape& s) {
  if (s.size() == 3) return s;
  if (s.size() == 2) return {1, s[0], s[1]};
  throw std::invalid_argument("expected a 2D or 3D volume, got size " + to_string(s));
}

bool is_8bit_image(const std::string& spec) {
  for (const char* ext : {".png", ".jpg", ".jpeg", ".bmp", ".pgm", ".ppm"}) {
    const std::string e = ext;
    if (spec.size() >= e.size() && spec.compare(spec.size() - e.size(), e.size(), e) == 0)
      return true;
  }
  return false;
}

// The whole of a single-channel volume as [1, 1, D, H, W]; `what` names it in errors.
Tensor read_single_channel(const std::string& spec, const char* what, VolumeInfo& info) {
  auto src = open_volume(spec);
  info = src->info();
  if (info.channels != 1)
    throw std::invalid_argument(spec + ": " + what + " has one channel, this has " +
                                std::to_string(info.channels));
  const Shape s = as_zyx(info.size);
  // A 2D image is one slice: its spacing gains a z entry like its size.
  if (info.size.size() == 2 && info.spacing.size() == 2)
    info.spacing.insert(info.spacing.begin(), 1.0);
  return src->read(Region::whole(info.size)).to_plain().reshape({1, 1, s[0], s[1], s[2]});
}

}  // namespace

Tensor read_raw(const std::string& spec) {
  VolumeInfo info;
  const Tensor t = read_single_channel(spec, "raw EM", info);
  for (int64_t i = 0; i < t.numel(); ++i)
    if (!std::isfinite(t.data()[i]))
      throw std::invalid_argument(spec + ": holds NaN or infinite values");
  return t;
}

void check_label_format(const std::string& spec) {
  volume_file(spec);  // throws on a spec that names no file
  if (is_8bit_image(spec))
    throw std::invalid_argument(spec +
                                ": 8-bit image formats cannot hold label ids; use HDF5, "
                                "TIFF, NRRD, MetaImage or NIfTI");
}

LabelVolume read_labels(const std::string& spec) {
  VolumeInfo info;
  const Tensor t = read_single_channel(spec, "a label volume", info);
  LabelVolume l{as_zyx(info.size), std::vector<uint64_t>(size_t(t.numel())), info.spacing};
  for (int64_t i = 0; i < t.numel(); ++i) {
    const double v = t.data()[i];
    if (!(v >= 0) || v != std::floor(v) || v >= double(kLabelLimit))
      throw std::invalid_argument(spec + ": label " + std::to_string(v) + " at voxel " +
                                  std::to_string(i) +
                                  " is not a whole number in [0, 2^24); relabel the volume "
                                  "with consecutive ids");
    l.ids[size_t(i)] = uint64_t(v);
  }
  return l;
}

void write_labels(const std::string& spec, const LabelVolume& labels) {
  if (int64_t(labels.ids.size()) != labels.voxels())
    throw std::invalid_argument("write_labels: " + std::to_string(labels.ids.size()) +
                                " ids for a volume of " + to_string(labels.size));
  check_label_format(spec);
  const Tensor t = label_tensor(labels);
  const VolumeInfo like{.channels = 1, .size = labels.size, .spacing = labels.spacing};
  auto sink = create_volume(spec, like, 1, "uint64");
  sink->write(Region::whole(labels.size), t);
  sink->commit();
}

Tensor label_tensor(const LabelVolume& labels) {
  Tensor t = Tensor::empty({1, 1, labels.size[0], labels.size[1], labels.size[2]});
  for (size_t i = 0; i < labels.ids.size(); ++i) {
    if (labels.ids[i] >= kLabelLimit)
      throw std::invalid_argument("label id " + std::to_string(labels.ids[i]) +
                                  " is 2^24 or more; relabel_sequential first");
    t.data()[i] = float(labels.ids[i]);
  }
  return t;
}

uint64_t relabel_sequential(LabelVolume& labels) {
  std::unordered_map<uint64_t, uint64_t> to;
  for (uint64_t& id : labels.ids) {
    if (id == 0) continue;
    auto [it, fresh] = to.emplace(id, uint64_t(to.size() + 1));
    id = it->second;
  }
  return uint64_t(to.size());
}

}  // namespace tessera::connectomics
