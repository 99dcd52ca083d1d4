#pragma once
// Parsing of option values shared by several subcommands.
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "tessera/io/atomic_file.hpp"

namespace tessera::app {

// "2G", "512M", "64K", "1.5G" (binary units) or plain bytes; throws on anything else.
std::size_t parse_bytes(const std::string& text, const std::string& option);

// Writes `text` to `path` atomically (a report, scores); throws when it cannot.
void write_text(const std::string& path, const std::string& text);

// Outputs that belong together (a forecast and its plot, scores and their table): each is
// written to a temporary file and all are renamed into place by commit(), so a failure part
// way leaves none of them. Throws when two outputs are the same file.
class OutputSet {
 public:
  void add_text(const std::string& path, const std::string& text);
  // The temporary path to write `path`'s content to, for writers that write files themselves.
  std::string temp_for(const std::string& path);
  void commit();

 private:
  std::vector<std::unique_ptr<AtomicFile>> files_;
};

}  // namespace tessera::app
