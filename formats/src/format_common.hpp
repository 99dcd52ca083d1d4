#pragma once
// Shared by the format adapters (not installed): the per-family entry points the dispatcher in
// volume_io.cpp calls, element types for writers, and the checks every source and sink makes.
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <type_traits>

#include "tessera/io/atomic_file.hpp"
#include "tessera/io/region.hpp"

namespace tessera::formats {

// Element type a sink stores; sources always give float.
enum class DType { f32, u8, u16, u64 };

DType parse_dtype(const std::string& type);  // "float32", "uint8", ... else invalid_argument
const char* dtype_name(DType t);

// Calls f(T{}) with the C++ type of `t`, so writers are one template instead of four copies.
template <typename F>
decltype(auto) with_dtype(DType t, F&& f) {
  switch (t) {
    case DType::u8:
      return f(uint8_t{});
    case DType::u16:
      return f(uint16_t{});
    case DType::u64:
      return f(uint64_t{});
    case DType::f32:
      break;
  }
  return f(float{});
}

// Float to stored value: integers round to nearest and clamp to the type's range (NaN -> 0),
// so a label map of 0..255 survives a float round trip exactly.
template <typename T>
T to_stored(float v) {
  if constexpr (std::is_floating_point_v<T>) {
    return v;
  } else {
    if (!(v > 0.f)) return T{0};
    const double hi = static_cast<double>(std::numeric_limits<T>::max());
    const double r = std::nearbyint(static_cast<double>(v));
    return r >= hi ? std::numeric_limits<T>::max() : static_cast<T>(r);
  }
}

// [1, C, *size]
Shape tensor_shape(int64_t channels, const Shape& size);
// invalid_argument unless `region` has the volume's rank and lies inside it.
void require_inside(const VolumeInfo& info, const Region& region, const std::string& name);
// invalid_argument unless `data` is [1, info.channels, *region.size] (after require_inside).
void require_data(const VolumeInfo& info, const Region& region, const Tensor& data,
                  const std::string& name);
// runtime_error naming `name` unless the volume a header describes is one a reader can hold:
// 2 or 3 axes, every axis and the channel count at least 1, and no more than kMaxElements values
// (so no product of its sizes overflows). Every source checks its header with it before it
// allocates anything.
inline constexpr int64_t kMaxElements = int64_t{1} << 42;
void require_sensible_size(const VolumeInfo& info, const std::string& name);
// channels x voxels of a volume that passed require_sensible_size.
int64_t element_count(const VolumeInfo& info);
// runtime_error naming `name` when a header promises `need` bytes of image data but the file
// can hold at most `can_hold` (its size, or for compressed data its size times the largest
// compression ratio of the method): a corrupt or hostile header, caught before allocating.
void require_can_hold(const std::string& name, uint64_t need, uint64_t can_hold);
// Library messages can span lines; errors here are one line.
std::string one_line(std::string message);

// Per-family entry points. `path` names an existing file for open_*; `ext` is the lower-case
// extension (".nii.gz" counts as one).
std::unique_ptr<VolumeSource> open_hdf5(const std::string& path, const std::string& dataset);
std::unique_ptr<VolumeSink> create_hdf5(const std::string& path, const std::string& dataset,
                                        const VolumeInfo& like, int64_t channels, DType type);
std::unique_ptr<VolumeSource> open_itk(const std::string& path, const std::string& ext);
std::unique_ptr<VolumeSink> create_itk(const std::string& path, const std::string& ext,
                                       const VolumeInfo& like, int64_t channels, DType type);
// runtime_error when a MetaImage or NIfTI file holds less image data than its header promises
// (`data_bytes`, from the header); a no-op for other formats.
void require_complete_data(const std::string& path, const std::string& ext, uint64_t data_bytes);
std::unique_ptr<VolumeSource> open_tiff(const std::string& path);
// A folder of 2D slices (slice_folder.cpp): read in natural name order, written as TIFF slices.
std::unique_ptr<VolumeSource> open_slice_folder(const std::string& dir);
std::unique_ptr<VolumeSink> create_slice_folder(const std::string& dir, const VolumeInfo& like,
                                                int64_t channels, DType type);
std::unique_ptr<VolumeSink> create_tiff(const std::string& path, const VolumeInfo& like,
                                        int64_t channels, DType type);
std::unique_ptr<VolumeSource> open_gdal(const std::string& path);
std::unique_ptr<VolumeSink> create_gdal(const std::string& path, const VolumeInfo& like,
                                        int64_t channels, DType type);
std::unique_ptr<VolumeSource> open_opencv(const std::string& path);
std::unique_ptr<VolumeSink> create_opencv(const std::string& path, const std::string& ext,
                                          const VolumeInfo& like, int64_t channels, DType type);
// High-speed cameras (read only): Photron .cihx + .mraw (either name), Phantom .cine.
std::unique_ptr<VolumeSource> open_photron(const std::string& path);
std::unique_ptr<VolumeSource> open_phantom(const std::string& path);
// Ordinary video through OpenCV's videoio (video_capture.cpp): t, y, x; written as .avi / .mp4.
std::unique_ptr<VolumeSource> open_video(const std::string& path);
std::unique_ptr<VolumeSink> create_video(const std::string& path, const std::string& ext,
                                         const VolumeInfo& like, int64_t channels, DType type);

}  // namespace tessera::formats
