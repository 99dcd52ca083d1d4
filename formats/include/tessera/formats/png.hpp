#pragma once
// Writing an 8-bit RGB picture as PNG, atomically (a preview, a plot).
#include <cstdint>
#include <string>
#include <vector>

namespace tessera {

// rgb: height rows of width pixels, 3 bytes each (red, green, blue). A `caption` goes on a
// white strip below the picture, scaled down to fit its width.
void write_rgb_png(const std::string& path, int width, int height, const std::vector<uint8_t>& rgb,
                   const std::string& caption = "");

}  // namespace tessera
