#include "errors.hpp"

#include <algorithm>
#include <vector>

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

// Edits (insert, delete, replace) that turn `a` into `b`.
size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1])});
      diagonal = up;
    }
  }
  return row[b.size()];
}

std::string unknown_word(const CLI::App& cmd, const std::string& word,
                         const std::vector<const CLI::App*>& known) {
  std::string names, closest;
  size_t best = 3;  // suggest only near misses
  for (const CLI::App* sub : known) {
    names += (names.empty() ? "" : ", ") + sub->get_name();
    if (const size_t d = edit_distance(word, sub->get_name()); d < best)
      best = d, closest = sub->get_name();
  }
  std::string path;  // "connectomics", "bench", or "" for the program itself
  for (const CLI::App* p = &cmd; p && p->get_parent(); p = p->get_parent())
    path = p->get_name() + (path.empty() ? "" : " " + path);
  return "unknown command '" + word + "' of " + (path.empty() ? "tessera" : "tessera " + path) +
         (closest.empty() ? "" : "; did you mean '" + closest + "'?") + " (known: " + names + ")";
}

}  // namespace

std::string unknown_command(const CLI::App& program, int argc, const char* const* argv) {
  const CLI::App* cmd = &program;
  for (int i = 1; i < argc && argv[i][0] != '-'; ++i) {
    const auto known = cmd->get_subcommands([](const CLI::App*) { return true; });
    if (known.empty()) return "";  // a command's own words (none take any today)
    const auto match = std::find_if(known.begin(), known.end(), [&](const CLI::App* sub) {
      return sub->get_name() == argv[i];
    });
    if (match == known.end()) return unknown_word(*cmd, argv[i], known);
    cmd = *match;
  }
  return "";
}

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
