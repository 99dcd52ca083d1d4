#include "tessera/io/output_check.hpp"

#include <unistd.h>

#include <filesystem>

#include "tessera/io/settings.hpp"

namespace tessera {

namespace fs = std::filesystem;

namespace {

// Absolute, with links and "..": the same file always gives the same path.
fs::path resolved(const std::string& path) {
  std::error_code ec;
  fs::path p = fs::weakly_canonical(fs::absolute(path), ec);
  return ec ? fs::absolute(path).lexically_normal() : p;
}

bool same_file(const fs::path& a, const fs::path& b) {
  std::error_code ec;
  return a == b || (fs::exists(a, ec) && fs::exists(b, ec) && fs::equivalent(a, b, ec));
}

// `inner` is `outer` or lies somewhere below it.
bool inside(const fs::path& inner, const fs::path& outer) {
  const fs::path rel = inner.lexically_relative(outer);
  return !rel.empty() && *rel.begin() != "..";
}

[[noreturn]] void refuse(const NamedPath& out, const std::string& why) {
  throw SettingError(out.setting, "'" + out.path + "' " + why);
}

void check_against_inputs(const NamedPath& out, const std::vector<NamedPath>& inputs) {
  const fs::path o = resolved(out.path);
  for (const NamedPath& in : inputs) {
    if (in.path.empty()) continue;
    const fs::path i = resolved(in.path);
    std::error_code ec;
    const bool folder = fs::is_directory(i, ec);
    const std::string given = " given as " + in.setting + " ('" + in.path + "')";
    if (same_file(o, i))
      refuse(out, std::string(folder ? "is the folder" : "is the file") + given +
                      "; writing it would destroy it: choose another path");
    if (inside(i, o))
      refuse(out, std::string("is a folder that holds the ") + (folder ? "folder" : "file") +
                      given + ": choose another");
    if (folder && inside(o, i))
      refuse(out, "lies inside the folder" + given + ": choose a path outside it");
  }
}

void check_writable_folder(const NamedPath& out, const fs::path& folder) {
  std::error_code ec;
  if (!fs::is_directory(folder, ec))
    refuse(out, "cannot be written: folder '" + folder.string() + "' does not exist");
  if (::access(folder.c_str(), W_OK | X_OK) != 0)
    refuse(out, "cannot be written: folder '" + folder.string() + "' is not writable");
}

// The nearest folder that exists at or above `p`: where a missing folder output will be made.
fs::path existing_ancestor(fs::path p) {
  std::error_code ec;
  while (!fs::exists(p, ec) && p.has_parent_path() && p != p.parent_path()) p = p.parent_path();
  return p;
}

}  // namespace

void check_outputs_spare_inputs(const CommandPaths& paths) {
  std::vector<NamedPath> outputs;
  for (const auto* group : {&paths.output_files, &paths.output_folders})
    for (const NamedPath& out : *group)
      if (!out.path.empty()) outputs.push_back(out);
  for (size_t a = 0; a < outputs.size(); ++a) {
    check_against_inputs(outputs[a], paths.inputs);
    for (size_t b = 0; b < a; ++b)
      if (same_file(resolved(outputs[a].path), resolved(outputs[b].path)))
        refuse(outputs[a], "would be written twice (as " + outputs[b].setting + " and as " +
                               outputs[a].setting + "): choose different paths");
  }
  std::error_code ec;
  for (const NamedPath& out : paths.output_files) {
    if (out.path.empty()) continue;
    const fs::path o = resolved(out.path);
    if (fs::is_directory(o, ec)) refuse(out, "is a folder; a file is expected");
    check_writable_folder(out, o.parent_path());
  }
  for (const NamedPath& out : paths.output_folders) {
    if (out.path.empty()) continue;
    const fs::path o = resolved(out.path);
    if (fs::exists(o, ec) && !fs::is_directory(o, ec))
      refuse(out, "is a file; a folder is expected");
    check_writable_folder(out, existing_ancestor(o));
  }
}

}  // namespace tessera
