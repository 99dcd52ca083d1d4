// A folder of 2D slices as one 3D volume: the image files in it (TIFF, PNG, JPEG, ...) in
// natural order of their names (slice2 before slice10) are z. Reads open only the slices a
// region touches; writes go to TIFF slices in a temporary folder that replaces the target at
// commit.
#include <algorithm>
#include <cctype>
#include <filesystem>
#include <map>
#include <stdexcept>

#include "format_common.hpp"
#include "tessera/formats/file_order.hpp"
#include "tessera/formats/volume_io.hpp"
#include "tessera/io/atomic_file.hpp"

namespace tessera::formats {

namespace fs = std::filesystem;

namespace {

class SliceFolderSource final : public VolumeSource {
 public:
  explicit SliceFolderSource(const std::string& dir)
      : dir_(dir), files_(image_files_in(dir, "slices")) {
    const VolumeInfo first = open_volume(files_.front())->info();
    if (first.size.size() != 2)
      throw std::runtime_error("'" + files_.front() + "': a slice must be 2D, this is " +
                               to_string(first.size));
    info_.channels = first.channels;
    info_.size = {int64_t(files_.size()), first.size[0], first.size[1]};
    require_sensible_size(info_, dir);
    if (first.spacing.size() == 2) info_.spacing = {1.0, first.spacing[0], first.spacing[1]};
    info_.description = std::to_string(files_.size()) + " slices in folder " + dir;
  }
  const VolumeInfo& info() const override { return info_; }

  Tensor read(const Region& region) override {
    require_inside(info_, region, dir_);
    const int64_t c = info_.channels, d = region.size[0], h = region.size[1], w = region.size[2];
    Tensor out = Tensor::empty({1, c, d, h, w});
    const Region plane{{region.origin[1], region.origin[2]}, {h, w}};
    for (int64_t k = 0; k < d; ++k) {
      const std::string& file = files_[size_t(region.origin[0] + k)];
      auto slice = open_volume(file);
      const VolumeInfo& si = slice->info();
      if (si.size != Shape{info_.size[1], info_.size[2]} || si.channels != c)
        throw std::runtime_error("'" + file + "': slice of " + std::to_string(si.channels) + " x " +
                                 to_string(si.size) + " in a stack of " + std::to_string(c) +
                                 " x " + to_string({info_.size[1], info_.size[2]}));
      const Tensor t = slice->read(plane).to_plain();
      for (int64_t ch = 0; ch < c; ++ch)
        std::copy_n(t.data() + ch * h * w, h * w, out.data() + (ch * d + k) * h * w);
    }
    return out;
  }

 private:
  std::string dir_;
  std::vector<std::string> files_;
  VolumeInfo info_;
};

class SliceFolderSink final : public VolumeSink {
 public:
  SliceFolderSink(const std::string& dir, const VolumeInfo& like, int64_t channels, DType type)
      : folder_(checked_folder(dir, like)), like_(like), channels_(channels), type_(type) {}

  void write(const Region& region, const Tensor& data) override {
    const VolumeInfo info{.channels = channels_, .size = like_.size};
    require_inside(info, region, folder_.final_path());
    require_data(info, region, data, folder_.final_path());
    const Tensor t = data.to_plain();
    const int64_t d = region.size[0], h = region.size[1], w = region.size[2];
    const Region plane{{region.origin[1], region.origin[2]}, {h, w}};
    for (int64_t k = 0; k < d; ++k) {
      Tensor slice = Tensor::empty({1, channels_, h, w});
      for (int64_t ch = 0; ch < channels_; ++ch)
        std::copy_n(t.data() + (ch * d + k) * h * w, h * w, slice.data() + ch * h * w);
      const int64_t z = region.origin[0] + k;
      try {
        sink_for(z).write(plane, slice);
      } catch (const std::runtime_error& e) {  // the slice's name is a temporary's: name the folder
        throw std::runtime_error("'" + folder_.final_path() + "': cannot write slice " +
                                 std::to_string(z) + " (" + e.what() + ")");
      }
    }
  }

  void commit() override {
    if (int64_t(slices_.size()) != like_.size[0])
      throw std::runtime_error("'" + folder_.final_path() + "': only " +
                               std::to_string(slices_.size()) + " of " +
                               std::to_string(like_.size[0]) + " slices were written");
    for (auto& [z, sink] : slices_) sink->commit();
    folder_.commit();
  }

 private:
  VolumeSink& sink_for(int64_t z) {
    auto it = slices_.find(z);
    if (it != slices_.end()) return *it->second;
    char name[32];
    std::snprintf(name, sizeof name, "slice_%05lld.tif", static_cast<long long>(z));
    VolumeInfo plane{.channels = channels_, .size = {like_.size[1], like_.size[2]}};
    if (like_.spacing.size() == 3) plane.spacing = {like_.spacing[1], like_.spacing[2]};
    return *slices_
                .emplace(z, create_tiff((fs::path(folder_.temp_path()) / name).string(), plane,
                                        channels_, type_))
                .first->second;
  }

  // Checked before the folder is made, so a wrong shape leaves nothing behind.
  static const std::string& checked_folder(const std::string& dir, const VolumeInfo& like) {
    if (like.size.size() != 3)
      throw std::invalid_argument("'" + dir + "': a folder of slices holds a 3D volume, not " +
                                  to_string(like.size));
    return dir;
  }

  AtomicFolder folder_;
  VolumeInfo like_;
  int64_t channels_;
  DType type_;
  std::map<int64_t, std::unique_ptr<VolumeSink>> slices_;
};

}  // namespace

std::unique_ptr<VolumeSource> open_slice_folder(const std::string& dir) {
  return std::make_unique<SliceFolderSource>(dir);
}

std::unique_ptr<VolumeSink> create_slice_folder(const std::string& dir, const VolumeInfo& like,
                                                int64_t channels, DType type) {
  return std::make_unique<SliceFolderSink>(dir, like, channels, type);
}

}  // namespace tessera::formats
