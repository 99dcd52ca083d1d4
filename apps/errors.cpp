#include "errors.hpp"

#include <algorithm>
#include <map>

#include "tessera/io/settings.hpp"

namespace tessera::app {

namespace {

const CLI::App* program = nullptr;
std::map<const CLI::App*, std::map<std::string, std::string>> renamed;

// The innermost subcommand the command line chose.
const CLI::App* running(const CLI::App& app) {
  const auto chosen = app.get_subcommands();
  return chosen.empty() ? &app : running(*chosen.front());
}

// "" when the running command has no flag for `setting`.
std::string flag_for(const CLI::App& cmd, const std::string& setting) {
  const auto table = renamed.find(&cmd);
  if (table != renamed.end()) {
    const auto it = table->second.find(setting);
    if (it != table->second.end()) return it->second;
  }
  // A nested setting ("tile.max_memory") is set by its last part's flag.
  std::string name = setting.substr(setting.find_last_of('.') + 1);
  std::replace(name.begin(), name.end(), '_', '-');
  return cmd.get_option_no_throw("--" + name) ? "--" + name : "";
}

}  // namespace

void set_program(const CLI::App& p) {
  program = &p;
}

void name_setting(const CLI::App* cmd, const std::string& setting, const std::string& flag) {
  renamed[cmd][setting] = flag;
}

std::string error_text(const std::exception& e) {
  const auto* bad = dynamic_cast<const SettingError*>(&e);
  if (!bad || !program) return e.what();
  const std::string flag = flag_for(*running(*program), bad->setting());
  return flag.empty() ? e.what() : flag + ": " + bad->message();
}

}  // namespace tessera::app
