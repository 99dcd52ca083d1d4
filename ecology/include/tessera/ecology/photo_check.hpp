#pragma once
// Whether the bytes of a photo file hold a whole photo of a sane size, before OpenCV decodes it:
// OpenCV decodes a truncated JPEG with grey for the missing part and says nothing, and allocates
// whatever size a header announces.
#include <cstdint>
#include <string>
#include <string_view>

namespace tessera::ecology {

struct PhotoSize {
  int64_t width = 0, height = 0;
};

// Throws std::runtime_error "<name>: ..." when the size is 0 or beyond max_photo_side or
// max_photo_pixels (photos.hpp).
void check_photo_size(const PhotoSize& s, const std::string& name);

// JPEG: the header's size is checked, then every scan is decoded (at 1/8 scale, which still reads
// all the compressed data) and any libjpeg warning (premature end of data, corrupt data) is an
// error. PNG: the IHDR size is checked and the file must end with its IEND chunk. Other formats
// pass (OpenCV's own size limits apply to them). Throws std::runtime_error naming `name`.
void check_photo_bytes(std::string_view bytes, const std::string& name);

}  // namespace tessera::ecology
