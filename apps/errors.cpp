#include "errors.hpp"

#include <algorithm>

#include "tessera/io/settings.hpp"
#include "tessera/train/training_loop.hpp"

namespace tessera::app {

namespace {

// "" when the command has no flag for `setting`. A nested setting ("tile.max_memory") is set
// by its last part's flag.
std::string flag_for(const CLI::App& cmd, const std::string& setting) {
  std::string name = setting.substr(setting.find_last_of('.') + 1);
  std::replace(name.begin(), name.end(), '_', '-');
  return cmd.get_option_no_throw("--" + name) ? "--" + name : "";
}

}  // namespace

const CLI::App& running_command(const CLI::App& program) {
  const auto chosen = program.get_subcommands();
  return chosen.empty() ? program : running_command(*chosen.front());
}

std::string error_text(const CLI::App& command, const std::exception& e) {
  if (const auto* stop = dynamic_cast<const TrainingInterrupted*>(&e))
    return "interrupted at step " + std::to_string(stop->step()) + " of " +
           std::to_string(stop->steps()) + "; checkpoint -> " + stop->checkpoint() +
           "; continue with --resume";
  const auto* bad = dynamic_cast<const SettingError*>(&e);
  if (!bad) return e.what();
  const std::string flag = flag_for(command, bad->setting());
  return flag.empty() ? e.what() : flag + ": " + bad->message();
}

}  // namespace tessera::app
