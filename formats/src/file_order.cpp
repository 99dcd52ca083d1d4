#include "tessera/formats/file_order.hpp"

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace tessera::formats {

bool is_image_file(const std::filesystem::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return char(std::tolower(c)); });
  for (const char* e : {".tif", ".tiff", ".png", ".jpg", ".jpeg", ".bmp", ".pgm", ".ppm"})
    if (ext == e) return true;
  return false;
}

bool natural_less(const std::string& a, const std::string& b) {
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    if (std::isdigit((unsigned char)a[i]) && std::isdigit((unsigned char)b[j])) {
      size_t ei = i, ej = j;
      while (ei < a.size() && std::isdigit((unsigned char)a[ei])) ++ei;
      while (ej < b.size() && std::isdigit((unsigned char)b[ej])) ++ej;
      const std::string na = a.substr(i, ei - i), nb = b.substr(j, ej - j);
      const std::string ta = na.substr(std::min(na.find_first_not_of('0'), na.size())),
                        tb = nb.substr(std::min(nb.find_first_not_of('0'), nb.size()));
      if (ta.size() != tb.size()) return ta.size() < tb.size();
      if (ta != tb) return ta < tb;
      i = ei, j = ej;
    } else {
      if (a[i] != b[j]) return a[i] < b[j];
      ++i, ++j;
    }
  }
  if (a.size() - i != b.size() - j) return a.size() - i < b.size() - j;
  return a < b;  // "a01" and "a1": still one order, whatever the folder's
}

std::vector<std::string> image_files_in(const std::string& folder, const std::string& kind) {
  if (!std::filesystem::is_directory(folder))
    throw std::runtime_error(folder + ": no such folder of " + kind);
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(folder))
    if (e.is_regular_file() && is_image_file(e.path())) files.push_back(e.path().string());
  if (files.empty())
    throw std::runtime_error(folder + ": a folder of " + kind +
                             ", but it holds no image files (.tif .png .jpg .bmp .pgm .ppm)");
  std::sort(files.begin(), files.end(), [](const std::string& a, const std::string& b) {
    return natural_less(std::filesystem::path(a).filename().string(),
                        std::filesystem::path(b).filename().string());
  });
  return files;
}

}  // namespace tessera::formats
