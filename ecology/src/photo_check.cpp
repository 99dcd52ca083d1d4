#include "tessera/ecology/photo_check.hpp"

#include <csetjmp>
#include <cstdio>
#include <stdexcept>

#include <jpeglib.h>

#include "tessera/ecology/photos.hpp"

namespace tessera::ecology {
namespace {

// libjpeg reports through callbacks: a fatal error jumps back to scan_jpeg, a warning (data
// missing or corrupt, which libjpeg papers over with grey) is remembered.
struct JpegErrors {
  jpeg_error_mgr mgr;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

void jpeg_fatal(j_common_ptr c) {
  auto* e = reinterpret_cast<JpegErrors*>(c->err);
  (*c->err->format_message)(c, e->message);
  std::longjmp(e->jump, 1);
}

void jpeg_message(j_common_ptr c, int level) {
  auto* e = reinterpret_cast<JpegErrors*>(c->err);
  if (level >= 0) return;  // trace messages
  if (e->mgr.num_warnings++ == 0) (*c->err->format_message)(c, e->message);
}

struct JpegScan {
  PhotoSize size;
  bool fatal = false;  // libjpeg gave up; `message` says why
  bool too_large = false;
  long warnings = 0;
  char message[JMSG_LENGTH_MAX] = {};
};

// Reads the header and, when the size is within the limits, every scan at 1/8 scale. No C++
// object with a destructor lives in this frame: libjpeg's errors longjmp out of its calls.
JpegScan scan_jpeg(const unsigned char* data, unsigned long size) {
  JpegScan out;
  jpeg_decompress_struct info;
  JpegErrors errors;
  info.err = jpeg_std_error(&errors.mgr);
  errors.mgr.error_exit = jpeg_fatal;
  errors.mgr.emit_message = jpeg_message;
  errors.message[0] = 0;
  if (setjmp(errors.jump)) {
    JpegScan failed;
    failed.fatal = true;
    std::snprintf(failed.message, sizeof failed.message, "%s", errors.message);
    jpeg_destroy_decompress(&info);
    return failed;
  }
  jpeg_create_decompress(&info);
  jpeg_mem_src(&info, data, size);
  jpeg_read_header(&info, TRUE);
  out.size = {int64_t(info.image_width), int64_t(info.image_height)};
  out.too_large = out.size.width > max_photo_side || out.size.height > max_photo_side ||
                  out.size.width * out.size.height > max_photo_pixels;
  if (!out.too_large && out.size.width > 0 && out.size.height > 0) {
    info.scale_num = 1, info.scale_denom = 8;
    info.dct_method = JDCT_IFAST;
    jpeg_start_decompress(&info);
    const JDIMENSION row = info.output_width * JDIMENSION(info.output_components);
    JSAMPARRAY line =
        (*info.mem->alloc_sarray)(reinterpret_cast<j_common_ptr>(&info), JPOOL_IMAGE, row, 1);
    while (info.output_scanline < info.output_height) jpeg_read_scanlines(&info, line, 1);
    jpeg_finish_decompress(&info);
  }
  out.warnings = errors.mgr.num_warnings;
  std::snprintf(out.message, sizeof out.message, "%s", errors.message);
  jpeg_destroy_decompress(&info);
  return out;
}

void check_jpeg(std::string_view bytes, const std::string& name) {
  const JpegScan s =
      scan_jpeg(reinterpret_cast<const unsigned char*>(bytes.data()), (unsigned long)bytes.size());
  if (s.fatal) throw std::runtime_error(name + ": not a readable JPEG (" + s.message + ")");
  check_photo_size(s.size, name);
  if (s.warnings > 0)
    throw std::runtime_error(name + ": the JPEG is truncated or corrupt (" + s.message +
                             "); copy the photo again from the camera or card");
}

uint32_t big_endian(std::string_view b, std::size_t at) {
  uint32_t v = 0;
  for (std::size_t i = 0; i < 4; ++i) v = (v << 8) | uint8_t(b[at + i]);
  return v;
}

void check_png(std::string_view bytes, const std::string& name) {
  // Signature (8), then the IHDR chunk: length (4), "IHDR", width (4), height (4), ...
  if (bytes.size() < 33 || bytes.substr(12, 4) != "IHDR")
    throw std::runtime_error(name + ": not a readable PNG (no IHDR header)");
  check_photo_size({big_endian(bytes, 16), big_endian(bytes, 20)}, name);
  // A whole PNG ends with the empty IEND chunk: length 0, "IEND", its CRC.
  if (bytes.substr(bytes.size() - 12, 8) != std::string_view("\0\0\0\0IEND", 8))
    throw std::runtime_error(name +
                             ": the PNG is truncated (it does not end with its IEND chunk); "
                             "copy the photo again");
}

}  // namespace

void check_photo_size(const PhotoSize& s, const std::string& name) {
  if (s.width < 1 || s.height < 1)
    throw std::runtime_error(name + ": the header gives an empty photo (" +
                             std::to_string(s.width) + "x" + std::to_string(s.height) + ")");
  if (s.width > max_photo_side || s.height > max_photo_side ||
      s.width * s.height > max_photo_pixels)
    throw std::runtime_error(name + ": the header gives a photo of " + std::to_string(s.width) +
                             "x" + std::to_string(s.height) + " pixels, beyond the limit of " +
                             std::to_string(max_photo_side) + " a side and " +
                             std::to_string(max_photo_pixels) + " pixels; is the file corrupt?");
}

void check_photo_bytes(std::string_view bytes, const std::string& name) {
  if (bytes.substr(0, 2) == "\xFF\xD8") return check_jpeg(bytes, name);
  if (bytes.substr(0, 8) == "\x89PNG\r\n\x1A\n") return check_png(bytes, name);
}

}  // namespace tessera::ecology
