// The dispatcher: a spec names a file (and, for HDF5, a dataset in it); the extension or a
// prefix picks the family. Each family lives in its own file (hdf5_volume.cpp, ...).
#include "tessera/formats/volume_io.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <filesystem>
#include <stdexcept>
#include <string_view>
#include <vector>

#include "format_common.hpp"

namespace tessera {

namespace {

using namespace formats;

enum class Family { hdf5, itk, tiff, gdal, opencv, folder, photron, phantom, video };

struct Spec {
  Family family;
  std::string path;
  std::string dataset;  // HDF5 only
  std::string ext;      // lower case, ".nii.gz" as one
};

constexpr std::array kItkExts{".nrrd", ".nhdr", ".mha", ".mhd", ".nii", ".nii.gz"};
constexpr std::array kTiffExts{".tif", ".tiff"};
constexpr std::array kGdalExts{".vrt", ".img", ".asc"};
constexpr std::array kOpencvExts{".png", ".jpg", ".jpeg", ".bmp", ".pgm", ".ppm"};
constexpr std::array kHdf5Exts{".h5", ".hdf5"};
constexpr std::array kPhotronExts{".cihx", ".mraw"};
constexpr std::array kVideoExts{".mp4", ".avi", ".mov", ".mkv", ".gif"};

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

template <size_t N>
bool one_of(const std::string& ext, const std::array<const char*, N>& exts) {
  return std::any_of(exts.begin(), exts.end(), [&](const char* e) { return ext == e; });
}

std::string extension_of(const std::string& path) {
  const std::string l = lower(path);
  if (l.size() > 7 && l.ends_with(".nii.gz")) return ".nii.gz";
  return lower(std::filesystem::path(path).extension().string());
}

// "file.h5:path/in/file" -> {file.h5, path/in/file}; the first ".h5:" or ".hdf5:" splits, so a
// dataset path may itself contain colons.
bool split_hdf5(const std::string& spec, Spec& out) {
  const std::string l = lower(spec);
  for (const char* ext : kHdf5Exts) {
    const size_t at = l.find(std::string(ext) + ":");
    if (at == std::string::npos) continue;
    const size_t colon = at + std::char_traits<char>::length(ext);
    out = {Family::hdf5, spec.substr(0, colon), spec.substr(colon + 1), ext};
    if (out.dataset.empty())
      throw std::runtime_error("'" + spec + "': no dataset after ':' (form: file.h5:path/in/file)");
    return true;
  }
  return false;
}

Spec parse_spec(const std::string& spec) {
  for (std::string_view prefix : {"gdal:", "geotiff:"}) {
    if (!spec.starts_with(prefix)) continue;
    const std::string path = spec.substr(prefix.size());
    return {Family::gdal, path, "", prefix == "geotiff:" ? ".tif" : extension_of(path)};
  }
  Spec out;
  if (split_hdf5(spec, out)) return out;
  // A folder of slices: an existing folder, or a name ending in '/' (to create one).
  if (spec.ends_with('/') || std::filesystem::is_directory(spec))
    return {Family::folder, spec, "", ""};
  const std::string ext = extension_of(spec);
  if (one_of(ext, kHdf5Exts))
    throw std::runtime_error("'" + spec + "': an HDF5 spec names a dataset: " + spec +
                             ":path/in/file");
  if (one_of(ext, kItkExts)) return {Family::itk, spec, "", ext};
  if (one_of(ext, kTiffExts)) return {Family::tiff, spec, "", ext};
  if (one_of(ext, kGdalExts)) return {Family::gdal, spec, "", ext};
  if (one_of(ext, kOpencvExts)) return {Family::opencv, spec, "", ext};
  if (one_of(ext, kPhotronExts)) return {Family::photron, spec, "", ext};
  if (ext == ".cine") return {Family::phantom, spec, "", ext};
  if (one_of(ext, kVideoExts)) return {Family::video, spec, "", ext};
  throw std::runtime_error(
      "'" + spec + "': unknown extension '" + ext +
      "' (known: .h5:dataset .hdf5:dataset .nrrd .nhdr .mha .mhd .nii "
      ".nii.gz .tif .tiff .vrt .img .asc .png .jpg .jpeg .bmp .pgm .ppm .cihx .mraw "
      ".cine .mp4 .avi .mov .mkv .gif, "
      "a gdal: / geotiff: prefix, or a folder of slices)");
}

std::string spacing_str(const std::vector<double>& spacing) {
  std::string s = "[";
  for (double v : spacing) s += (s.size() > 1 ? ", " : "") + std::to_string(v);
  return s + "]";
}

void check_like(const std::string& spec, const VolumeInfo& like, int64_t channels) {
  const bool bad_size =
      std::any_of(like.size.begin(), like.size.end(), [](int64_t s) { return s < 1; });
  if (like.size.size() < 2 || like.size.size() > 3 || bad_size || channels < 1)
    throw std::invalid_argument("'" + spec + "': cannot create a volume of " +
                                std::to_string(channels) + " channels x " + to_string(like.size) +
                                " (needs >= 1 channel and a 2D or 3D size)");
  const bool bad_spacing =
      std::any_of(like.spacing.begin(), like.spacing.end(), [](double s) { return !(s > 0); });
  if (!like.spacing.empty() && (like.spacing.size() != like.size.size() || bad_spacing))
    throw std::invalid_argument("'" + spec + "': spacing " + spacing_str(like.spacing) + " for " +
                                std::to_string(like.size.size()) +
                                " axes (needs one positive value per axis, or none)");
}

}  // namespace

std::string volume_file(const std::string& spec) {
  return parse_spec(spec).path;
}

void add_volume_output(CommandPaths& paths, const std::string& setting, const std::string& spec) {
  const Spec s = parse_spec(spec);
  auto& outputs = s.family == Family::folder ? paths.output_folders : paths.output_files;
  outputs.push_back({setting, s.path});
}

std::unique_ptr<VolumeSource> open_volume(const std::string& spec) {
  const Spec s = parse_spec(spec);
  // GDAL also opens names that are not files: /vsizip/..., NETCDF:"file.nc":var.
  const bool gdal_name =
      s.family == Family::gdal && (s.path.starts_with("/vsi") || s.path.find(':') != s.path.npos);
  if (s.family == Family::folder) {
    if (!std::filesystem::is_directory(s.path))
      throw std::runtime_error("'" + s.path + "': no such folder");
    return open_slice_folder(s.path);
  }
  if (!gdal_name && !std::filesystem::is_regular_file(s.path))
    throw std::runtime_error("'" + s.path + "': no such file");
  switch (s.family) {
    case Family::hdf5:
      return open_hdf5(s.path, s.dataset);
    case Family::itk:
      return open_itk(s.path, s.ext);
    case Family::tiff:
      return open_tiff(s.path);
    case Family::gdal:
      return open_gdal(s.path);
    case Family::photron:
      return open_photron(s.path);
    case Family::phantom:
      return open_phantom(s.path);
    case Family::video:
      return open_video(s.path);
    case Family::opencv:
    case Family::folder:
      break;
  }
  return open_opencv(s.path);
}

std::unique_ptr<VolumeSink> create_volume(const std::string& spec, const VolumeInfo& like,
                                          int64_t channels, const std::string& type) {
  const Spec s = parse_spec(spec);
  const DType dtype = parse_dtype(type);
  check_like(spec, like, channels);
  switch (s.family) {
    case Family::hdf5:
      return create_hdf5(s.path, s.dataset, like, channels, dtype);
    case Family::itk:
      return create_itk(s.path, s.ext, like, channels, dtype);
    case Family::tiff:
      return create_tiff(s.path, like, channels, dtype);
    case Family::gdal:
      if (s.ext != ".tif" && s.ext != ".tiff")
        throw std::runtime_error("'" + s.path + "': GDAL writes GeoTIFF only (.tif, .tiff)");
      return create_gdal(s.path, like, channels, dtype);
    case Family::folder:
      return create_slice_folder(s.path, like, channels, dtype);
    case Family::video:
      return create_video(s.path, s.ext, like, channels, dtype);
    case Family::photron:
    case Family::phantom:
      throw std::runtime_error("'" + s.path + "': " + s.ext +
                               " files are read only (write video as .avi or .mp4)");
    case Family::opencv:
      break;
  }
  return create_opencv(s.path, s.ext, like, channels, dtype);
}

}  // namespace tessera
