#include "tessera/io/json_text.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace tessera {

namespace fs = std::filesystem;

namespace {

[[noreturn]] void fail(const std::string& source, const std::string& what) {
  throw std::runtime_error(source + ": " + what);
}

}  // namespace

nlohmann::json parse_json(std::string_view text, const std::string& source,
                          const JsonLimits& limits) {
  if (text.size() > limits.max_bytes)
    fail(source, "JSON of " + std::to_string(text.size()) + " bytes is larger than the limit of " +
                     std::to_string(limits.max_bytes));
  // The parser itself does not recurse, but a deep document would overflow the stack when it is
  // copied or destroyed: stop at the first level past the limit.
  const auto depth_guard = [&](int depth, nlohmann::json::parse_event_t event, nlohmann::json&) {
    if ((event == nlohmann::json::parse_event_t::object_start ||
         event == nlohmann::json::parse_event_t::array_start) &&
        depth >= limits.max_depth)
      fail(source,
           "not valid JSON: nested more than " + std::to_string(limits.max_depth) + " levels deep");
    return true;
  };
  try {
    return nlohmann::json::parse(text.begin(), text.end(), depth_guard);
  } catch (const nlohmann::json::exception& e) {
    fail(source, std::string("not valid JSON: ") + e.what());
  }
}

std::string read_text_file(const std::string& path, std::size_t max_bytes,
                           const std::string& kind) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) fail(path, "no such file");
  const auto size = fs::file_size(path, ec);
  if (ec) fail(path, "cannot read: " + ec.message());
  if (size > max_bytes)
    fail(path, kind + " of " + std::to_string(size) + " bytes is larger than the limit of " +
                   std::to_string(max_bytes));
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in && !in.eof()) fail(path, "cannot read");
  return text.str();
}

nlohmann::json read_json_file(const std::string& path, const JsonLimits& limits) {
  return parse_json(read_text_file(path, limits.max_bytes, "JSON"), path, limits);
}

}  // namespace tessera
