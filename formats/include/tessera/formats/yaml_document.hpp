#pragma once
// YAML documents (configs, data.yaml) read as JSON with the limits the suite's JSON reader keeps: a
// document nested deeper than any real config, an alias that refers to the node holding it, or
// aliases that expand to more values than a config could hold (a "billion laughs") are one-line
// errors, not a stack overflow or an exhausted memory.
//
//   nlohmann::json j = read_yaml_file("run.yaml");
#include <cstddef>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "tessera/io/json_text.hpp"

namespace tessera {

// Values (scalars and collections, aliases counted as what they repeat) one document may hold.
constexpr std::size_t kMaxYamlValues = 100'000;

// The first document of `text`. Scalars become numbers or booleans when they read as such, except
// quoted ones and ids with leading zeros ("01022500" stays a string). Throws std::runtime_error
// "<source>: not valid YAML: ..." (or nested, recursive, too large).
nlohmann::json parse_yaml(std::string_view text, const std::string& source,
                          const JsonLimits& limits = {});

// The file's first document, its size checked against the limits before it is read.
nlohmann::json read_yaml_file(const std::string& path, const JsonLimits& limits = {});

}  // namespace tessera
