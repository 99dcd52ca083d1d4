#pragma once
// Parsing of option values shared by several subcommands.
#include <cstddef>
#include <string>

#include <CLI/CLI.hpp>

namespace tessera::app {

// "2G", "512M", "64K", "1.5G" (binary units) or plain bytes; throws naming `option` on anything
// else.
std::size_t parse_bytes(const std::string& text, const std::string& option);

// A memory budget option (`flag` such as --max-memory) read with parse_bytes into `bytes`,
// whose value at registration is the default shown.
CLI::Option* add_bytes_option(CLI::App* cmd, const std::string& flag, std::size_t& bytes,
                              const std::string& help);

}  // namespace tessera::app
