#include <algorithm>
#include <cmath>

#include "image_folder.hpp"
#include "tessera/io/settings.hpp"

namespace tessera::materials {

std::optional<double> number_in_cell(const std::string& cell) {
  try {
    size_t used = 0;
    const double v = std::stod(cell, &used);
    if (used == cell.size() && std::isfinite(v)) return v;
  } catch (const std::exception&) {
  }
  return std::nullopt;
}

Micrograph read_input(const std::string& path, const std::string& stem, const ImageInputs& in,
                      const std::map<std::string, ImageFacts>& facts) {
  const auto it = facts.find(stem);
  const double known = it == facts.end() ? 0 : it->second.um_per_px;
  return read_micrograph(
      path, {.um_per_px = in.um_per_px > 0 ? in.um_per_px : known, .crop_bottom = in.crop_bottom});
}

std::map<std::string, ImageFacts> facts_of(const ImageInputs& in) {
  return in.metadata.empty() ? std::map<std::string, ImageFacts>{} : read_image_facts(in.metadata);
}

double common_pixel_size(std::vector<double> sizes, double wanted, const std::string& what) {
  const size_t all = sizes.size();
  std::erase_if(sizes, [](double s) { return !(s > 0); });
  if (sizes.empty()) return 0;
  if (sizes.size() != all)
    throw SettingError("metadata", "pixel sizes are known for " + std::to_string(sizes.size()) +
                                       " of " + std::to_string(all) + " " + what +
                                       ": give every image's, or none");
  if (wanted > 0) return wanted;
  std::nth_element(sizes.begin(), sizes.begin() + std::ptrdiff_t(sizes.size() / 2), sizes.end());
  return sizes[sizes.size() / 2];
}

}  // namespace tessera::materials
