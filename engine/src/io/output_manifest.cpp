#include "output_manifest.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "tessera/io/atomic_file.hpp"
#include "tessera/io/json_text.hpp"

namespace tessera::io_detail {

namespace fs = std::filesystem;

namespace {

bool stamp_of(const fs::path& file, FileStamp& stamp) {
  struct stat st {};
  if (::lstat(file.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return false;
  stamp = {uint64_t(st.st_size), int64_t(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec};
  return true;
}

}  // namespace

Manifest read_manifest(const fs::path& folder) {
  Manifest m;
  const fs::path file = folder / kManifestName;
  std::error_code ec;
  if (!fs::is_regular_file(file, ec)) return m;
  try {
    const nlohmann::json j = read_json_file(file.string());
    for (const auto& [name, stamps] : j.at("files").items())
      for (const auto& s : stamps)
        m[name].push_back({s.at("size").get<uint64_t>(), s.at("mtime_ns").get<int64_t>()});
  } catch (const std::exception&) {
    return {};
  }
  return m;
}

void write_manifest(const fs::path& folder, const Manifest& m) {
  nlohmann::json files = nlohmann::json::object();
  for (const auto& [name, stamps] : m)
    for (const FileStamp& s : stamps)
      files[name].push_back({{"size", s.size}, {"mtime_ns", s.mtime_ns}});
  const nlohmann::json j = {{"written_by", "tessera"}, {"files", files}};
  write_atomically((folder / kManifestName).string(), j.dump(1) + "\n");
}

std::map<std::string, std::vector<FileStamp>> stamps_under(const fs::path& root,
                                                           const fs::path& entry) {
  std::map<std::string, std::vector<FileStamp>> out;
  const auto add = [&](const fs::path& p) {
    FileStamp s;
    auto& stamps = out[p.lexically_relative(root).string()];
    if (stamp_of(p, s)) stamps.push_back(s);
  };
  const fs::path top = root / entry;
  if (!fs::is_directory(fs::symlink_status(top))) {
    add(top);
    return out;
  }
  for (const auto& e : fs::recursive_directory_iterator(top))
    if (e.is_symlink() || !e.is_directory()) add(e.path());
  return out;
}

std::string first_foreign_file(const fs::path& root, const fs::path& entry, const Manifest& m) {
  for (const auto& [name, stamps] : stamps_under(root, entry)) {
    const auto known = m.find(name);
    const bool ours = !stamps.empty() && known != m.end() &&
                      std::find(known->second.begin(), known->second.end(), stamps.front()) !=
                          known->second.end();
    if (!ours) return name;
  }
  return "";
}

}  // namespace tessera::io_detail
