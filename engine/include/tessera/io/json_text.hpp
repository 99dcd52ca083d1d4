#pragma once
// The one way the suite reads JSON (configs, annotations, checkpoint attributes, settings): a
// document nested deeper than any real one, or larger than any real one, is an error that names
// its source, not a stack overflow or an exhausted memory.
//
//   nlohmann::json j = parse_json(text, "annotations.json");
//   nlohmann::json k = read_json_file("config.json");
#include <cstddef>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace tessera {

struct JsonLimits {
  int max_depth = 128;                           // objects and arrays inside each other
  std::size_t max_bytes = std::size_t(2) << 30;  // the text's size
};

// Throws std::runtime_error "<source>: not valid JSON: ..." (or nested / too large).
nlohmann::json parse_json(std::string_view text, const std::string& source,
                          const JsonLimits& limits = {});

// The text of a file no larger than `max_bytes` (checked before it is read); throws naming the
// file and `kind` ("JSON", "YAML") when it is missing, unreadable or too large.
std::string read_text_file(const std::string& path, std::size_t max_bytes, const std::string& kind);

// The file's text, checked against the limits before it is read; throws naming the file when it
// is missing, unreadable or not valid JSON.
nlohmann::json read_json_file(const std::string& path, const JsonLimits& limits = {});

}  // namespace tessera
