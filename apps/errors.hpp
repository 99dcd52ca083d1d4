#pragma once
// Library errors in the command line's words. A library names a bad setting by its options
// field (SettingError "patch: sizes must be multiples of 4"); the user set it with a flag, so
// the message names that flag instead ("--patch: sizes must be multiples of 4"): the running
// command's option of the setting's name (max_memory -> --max-memory).
#include <exception>
#include <string>

#include <CLI/CLI.hpp>

namespace tessera::app {

// The innermost subcommand the parsed command line chose.
const CLI::App& running_command(const CLI::App& program);

// "" when every word of the command line up to its first option names a subcommand where one is
// expected; else the one-line message for the first that does not ("unknown command 'trian' of
// tessera connectomics; did you mean 'train'? (known: synth, train, ...)").
std::string unknown_command(const CLI::App& program, int argc, const char* const* argv);

// The one-line message for `e` (without "error: "), raised while `command` ran.
std::string error_text(const CLI::App& command, const std::exception& e);

}  // namespace tessera::app
