#include "options.hpp"

#include <stdexcept>

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

namespace {

// 1073741824 -> "1G": the largest binary unit that divides it.
std::string bytes_text(std::size_t bytes) {
  for (const auto& [unit, scale] : {std::pair{"G", 30}, {"M", 20}, {"K", 10}})
    if (bytes > 0 && bytes % (std::size_t(1) << scale) == 0)
      return std::to_string(bytes >> scale) + unit;
  return std::to_string(bytes);
}

}  // namespace

CLI::Option* add_bytes_option(CLI::App* cmd, const std::string& flag, std::size_t& bytes,
                              const std::string& help) {
  return cmd
      ->add_option_function<std::string>(
          flag, [&bytes, flag](const std::string& text) { bytes = parse_bytes(text, flag); }, help)
      ->default_str(bytes_text(bytes));
}

}  // namespace tessera::app
