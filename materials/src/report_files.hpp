#pragma once
// Where an evaluation's scores and table go: the JSON the user named and the Markdown beside it
// (or where the user put it), written together or not at all. Shared by the evaluations of
// phase maps and of properties.
#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tessera/io/atomic_file.hpp"

namespace tessera::materials {

// The table's path: `markdown`, or `output` with .md.
inline std::string markdown_path(const std::string& output, const std::string& markdown) {
  if (!markdown.empty()) return markdown;
  return std::filesystem::path(output).replace_extension(".md").string();
}

// Writes both; returns their paths, the scores first.
inline std::vector<std::string> write_scores(const nlohmann::json& scores, const std::string& table,
                                             const std::string& output,
                                             const std::string& markdown) {
  OutputSet out;
  out.add_text(output, scores.dump(2) + "\n");
  out.add_text(markdown_path(output, markdown), table);
  out.commit();
  return {output, markdown_path(output, markdown)};
}

// A score as JSON: null when it is not a number (a phase in neither mask, one class only).
inline nlohmann::json score_json(double x) {
  return std::isfinite(x) ? nlohmann::json(x) : nlohmann::json();
}

}  // namespace tessera::materials
