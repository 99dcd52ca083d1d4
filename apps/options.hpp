#pragma once
// Parsing of option values shared by several subcommands.
#include <cstddef>
#include <string>

namespace tessera::app {

// "2G", "512M", "64K", "1.5G" (binary units) or plain bytes; throws on anything else.
std::size_t parse_bytes(const std::string& text, const std::string& option);

// Writes `text` to `path` atomically (a report, scores); throws when it cannot.
void write_text(const std::string& path, const std::string& text);

}  // namespace tessera::app
