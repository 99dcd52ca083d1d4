// The domain groups. Each says what it will do until its commands land.
#include <iostream>

#include "commands.hpp"
#include "tessera/video/video.hpp"

namespace tessera::app {

namespace {
template <typename StatusFn>
void add_domain(CLI::App& app, const char* name, StatusFn status) {
  const auto s = status();
  auto* cmd = app.add_subcommand(name, s.what);
  cmd->callback([name, s] {
    if (!s.available) throw std::runtime_error(std::string(name) + ": " + s.what);
  });
}
}  // namespace

void add_domain_commands(CLI::App& app) {
  add_domain(app, "video", video::status);
}

}  // namespace tessera::app
