#pragma once
// Region-wise volume I/O for every format family, chosen from a file spec:
//
//   auto src = open_volume("fibsem.h5:volumes/raw");            // HDF5 dataset, read by hyperslab
//   Tensor tile = src->read({{0, 0, 0}, {16, 64, 64}});         // [1, C, 16, 64, 64] float
//   auto dst = create_volume("pred.mha", src->info(), 3);       // MetaImage, streamed by region
//   dst->write({{0, 0, 0}, {16, 64, 64}}, prediction);
//   dst->commit();                                              // visible only now
//
// Spec forms and families:
//   file.h5:path, file.hdf5:path       HDF5 (2D dataset = y,x; 3D = z,y,x; 4D = c,z,y,x);
//                                        VolumeInfo::attributes as string attributes
//   .nrrd .nhdr .mha .mhd .nii .nii.gz   ITK (2D or 3D, pixel components = channels)
//   .tif .tiff                           libtiff (2D; multi-page = 3D; samples = channels)
//   gdal:PATH, geotiff:PATH, .vrt .img .asc   GDAL (2D raster, bands = channels)
//   .png .jpg .jpeg .bmp .pgm .ppm       OpenCV (2D, channels in OpenCV's BGR order)
//   DIR (a folder), DIR/                 2D slices in natural name order = z; written as TIFF
//   .cihx, .mraw                         Photron FASTCAM (header + frames beside it, either
//                                        name; 8, 16 or packed 12 bit), read only
//   .cine                                Phantom CINE (8, 16, packed 10/12 bit, BGR 24/48),
//                                        read only
//   .mp4 .avi .mov .mkv .gif             video through OpenCV: BGR, or 1 channel when the codec
//                                        decodes to grey; written as .avi (MJPG) or .mp4
//                                        (mp4v) in whole frames in time order, at
//                                        like.attributes["frame_rate_hz"] (default 25); a
//                                        1-channel video written so reads back as 3 channels
// Camera and video sources are volumes of t, y, x: [1, C, T, H, W] raw values (DN, no scaling),
// with attributes frame_rate_hz, exposure_s (when known), bit_depth (effective) and camera.
//
// Errors: a missing, unreadable or unsupported file, an unknown extension or a missing HDF5
// dataset throw std::runtime_error naming the file; a region outside the volume or data of the
// wrong shape throw std::invalid_argument.
#include <cstdint>
#include <memory>
#include <string>

#include "tessera/io/output_check.hpp"
#include "tessera/io/region.hpp"

namespace tessera {

// The file a spec names ("a.h5:raw" -> "a.h5", "geotiff:b.tif" -> "b.tif"); throws like
// open_volume on a spec it cannot parse.
std::string volume_file(const std::string& spec);

// Adds what `spec` writes, a file or a folder of slices, to the outputs of `paths` (for
// check_outputs_spare_inputs) under the setting's name.
void add_volume_output(CommandPaths& paths, const std::string& setting, const std::string& spec);

// Opens an existing volume for region reads: spec -> source of [1, C, *region.size] floats.
std::unique_ptr<VolumeSource> open_volume(const std::string& spec);

// Creates a volume of `channels` x like.size (spacing from like.spacing where the format keeps
// it). type: "float32" (default), "uint8", "uint16" or "uint64"; integer types round and clamp.
// 8-bit image formats (PNG, JPEG, ...) store float32 requests as uint8, clamped to [0, 255].
std::unique_ptr<VolumeSink> create_volume(const std::string& spec, const VolumeInfo& like,
                                          int64_t channels, const std::string& type = "float32");

}  // namespace tessera
