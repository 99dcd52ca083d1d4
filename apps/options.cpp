#include "options.hpp"

#include <filesystem>
#include <stdexcept>

#include "tessera/io/atomic_file.hpp"

namespace tessera::app {

std::size_t parse_bytes(const std::string& text, const std::string& option) {
  std::size_t used = 0;
  double value = 0;
  try {
    value = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  const std::string unit = text.substr(used);
  const double scale = unit.empty() || unit == "B"    ? 1.0
                       : unit == "K" || unit == "KiB" ? 1024.0
                       : unit == "M" || unit == "MiB" ? 1024.0 * 1024
                       : unit == "G" || unit == "GiB" ? 1024.0 * 1024 * 1024
                                                      : -1.0;
  if (used == 0 || scale < 0 || !(value > 0))
    throw std::invalid_argument(option + " '" + text + "': expected a size such as 512M or 2G");
  return static_cast<std::size_t>(value * scale);
}

void write_text(const std::string& path, const std::string& text) {
  write_atomically(path, text);
}

std::string OutputSet::temp_for(const std::string& path) {
  namespace fs = std::filesystem;
  for (const auto& f : files_)
    if (fs::weakly_canonical(f->final_path()) == fs::weakly_canonical(path))
      throw std::invalid_argument("two outputs are the same file: " + path);
  files_.push_back(std::make_unique<AtomicFile>(path));
  return files_.back()->temp_path();
}

void OutputSet::add_text(const std::string& path, const std::string& text) {
  write_bytes(temp_for(path), text, path);
}

void OutputSet::commit() {
  for (auto& f : files_) f->commit();
}

}  // namespace tessera::app
