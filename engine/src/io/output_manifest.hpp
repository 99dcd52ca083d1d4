#pragma once
// What tessera wrote into a folder of outputs, so a later run may replace its own files and
// never a user's: relative path -> the size and modification time each file had when written.
// Private to the engine's io.
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace tessera::io_detail {

struct FileStamp {
  uint64_t size = 0;
  int64_t mtime_ns = 0;
  bool operator==(const FileStamp&) const = default;
};

// A file may carry two stamps while a merge is under way (the old and the new content), so an
// interrupted merge leaves every file still recognised as tessera's.
using Manifest = std::map<std::string, std::vector<FileStamp>>;

inline constexpr const char* kManifestName = ".tessera-outputs.json";

// An unreadable or missing manifest is an empty one: nothing in the folder is ours.
Manifest read_manifest(const std::filesystem::path& folder);
void write_manifest(const std::filesystem::path& folder, const Manifest& m);

// The regular files at or under `root / entry`, keyed by their path relative to `root`. A link
// or a special file is keyed with no stamp, so it never matches.
std::map<std::string, std::vector<FileStamp>> stamps_under(const std::filesystem::path& root,
                                                           const std::filesystem::path& entry);

// "" when every file at or under `root / entry` is in the manifest with its current stamp, else
// the relative path of the first that is not.
std::string first_foreign_file(const std::filesystem::path& root,
                               const std::filesystem::path& entry, const Manifest& m);

}  // namespace tessera::io_detail
