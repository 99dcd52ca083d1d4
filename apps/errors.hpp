#pragma once
// Library errors in the command line's words. A library names a bad setting by its options
// field (SettingError "patch: sizes must be multiples of 4"); the user set it with a flag, so
// the message names that flag instead ("--patch: sizes must be multiples of 4"). The flag is
// the running command's option of the setting's name (max_memory -> --max-memory), or the one
// name_setting gave where the names differ.
#include <exception>
#include <string>

#include <CLI/CLI.hpp>

namespace tessera::app {

// The program, whose parsed subcommands tell which command runs; set once before parsing.
void set_program(const CLI::App& program);

// In `cmd`, `setting` is set by `flag` ("width" -> "--size").
void name_setting(const CLI::App* cmd, const std::string& setting, const std::string& flag);

// The one-line message for `e` (without "error: ").
std::string error_text(const std::exception& e);

}  // namespace tessera::app
