#pragma once
// What `tessera ecology synth` writes: a folder of generated trap photographs (JPEG) named as
// camera scripts often name them, "trapA_20240701_2200.jpg", two traps photographed at 22:00
// and at 03:00 the next morning night after night, so that counts have nights and traps to
// find; their true boxes as COCO (annotations.json) and as YOLO labels (labels/).
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "tessera/ecology/annotations.hpp"

namespace tessera::data {

struct TrapPhotoFolder {
  std::string folder{};  // created when missing
  int photos = 8;
  int width = 1024, height = 768;
  int insects = 60;                              // per photo
  std::array<double, 2> insect_size = {14, 60};  // smallest, largest insect length, px
  std::vector<std::string> kinds = {"moth", "fly", "beetle"};  // of trap_categories()
  uint64_t seed = 0;  // photo k is drawn with seed * 1000 + k
};

// Writes the photos and annotations.json together, then labels/; returns the dataset written.
// Throws SettingError for an unknown kind or a smallest insect size above the largest.
ecology::Dataset write_trap_photo_folder(const TrapPhotoFolder& f);

}  // namespace tessera::data
