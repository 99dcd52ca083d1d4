#include "tessera/io/atomic_file.hpp"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <system_error>

#include "output_manifest.hpp"

namespace tessera {

namespace fs = std::filesystem;
using namespace io_detail;

namespace {

[[noreturn]] void cannot_write(const std::string& path, const std::string& why) {
  throw std::runtime_error("cannot write '" + path + "': " + why);
}

// The process's umask, read without changing it (umask(2) can only be read by setting it).
mode_t current_umask() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);)
    if (line.rfind("Umask:", 0) == 0) return mode_t(std::stoul(line.substr(6), nullptr, 8));
  return 022;
}

// mkstemp / mkdtemp make their results private to the owner; outputs get the usual mode.
void give_usual_mode(const std::string& path, mode_t full) {
  ::chmod(path.c_str(), full & ~current_umask());
}

fs::path parent_of(const fs::path& p) {
  return p.has_parent_path() ? p.parent_path() : ".";
}

// "<dir>/.<name><tag>XXXXXX": the template mkstemp / mkdtemp fill in. (Appended piece by piece:
// GCC 12 warns wrongly about operator+ on a temporary here.)
std::string temp_template(const fs::path& target, const char* tag) {
  std::string name = ".";
  name += target.filename().string();
  name += tag;
  name += "XXXXXX";
  return (parent_of(target) / name).string();
}

}  // namespace

AtomicFile::AtomicFile(std::string final_path, std::string_view suffix)
    : final_(std::move(final_path)) {
  const fs::path p(final_);
  const fs::path dir = parent_of(p);
  if (!fs::is_directory(dir)) cannot_write(final_, "folder '" + dir.string() + "' does not exist");
  if (fs::is_directory(p)) cannot_write(final_, "it is a folder");
  // A folder only this process can enter, made exclusively under a name nobody can guess: no
  // link planted beside the output can redirect the write, and the writing library creates its
  // file itself (some, like ITK's streaming writers, treat an existing file as one to update).
  std::string folder = temp_template(p, ".tmp-");
  if (!::mkdtemp(folder.data())) cannot_write(final_, std::strerror(errno));
  folder_ = folder;
  // With a suffix the library reads the encoding from it alone ("x.nii.gz.nii.gz" would confuse).
  std::string name = suffix.empty() ? p.filename().string() : "staged";
  name += suffix;
  temp_ = (fs::path(folder_) / name).string();
}

AtomicFile::~AtomicFile() {
  std::error_code ec;
  fs::remove_all(folder_, ec);
}

void AtomicFile::commit() {
  std::error_code ec;
  fs::rename(temp_, final_, ec);
  if (ec) cannot_write(final_, ec.message());
  fs::remove(folder_, ec);
}

AtomicFolder::AtomicFolder(const std::string& final_path) {
  fs::path p = fs::path(final_path).lexically_normal();
  if (p.filename().empty()) p = p.parent_path();  // "out/" names the folder "out"
  final_ = p.string();
  if (fs::exists(p) && !fs::is_directory(p)) cannot_write(final_, "it is a file, not a folder");
  const fs::path dir = parent_of(p);
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) cannot_write(final_, ec.message());
  std::string name = temp_template(p, ".partial-");
  if (!::mkdtemp(name.data())) cannot_write(final_, std::strerror(errno));
  temp_ = name;
  give_usual_mode(temp_, 0777);
}

AtomicFolder::~AtomicFolder() {
  if (!committed_) {
    std::error_code ec;
    fs::remove_all(temp_, ec);
  }
}

namespace {

std::vector<fs::path> entries_of(const fs::path& folder) {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(folder))
    if (e.path().filename() != kManifestName) out.push_back(e.path().filename());
  std::sort(out.begin(), out.end());
  return out;
}

bool under(const std::string& name, const fs::path& entry) {
  const std::string e = entry.string();
  return name == e ||
         (name.size() > e.size() && name.compare(0, e.size(), e) == 0 && name[e.size()] == '/');
}

// Throws when merging `fresh` into `target` would replace a file tessera did not write.
void check_merge(const fs::path& fresh, const fs::path& target) {
  if (!fs::exists(fs::symlink_status(target))) return;
  if (!fs::is_directory(target)) cannot_write(target.string(), "it is a file, not a folder");
  const Manifest old = read_manifest(target);
  for (const fs::path& e : entries_of(fresh)) {
    if (!fs::exists(fs::symlink_status(target / e))) continue;
    const std::string foreign = first_foreign_file(target, e, old);
    if (foreign.empty()) continue;
    std::string why = "'";
    why += (target / foreign).string();
    why +=
        "' was not written by tessera (or was changed since); move it away or choose another "
        "folder";
    cannot_write(target.string(), why);
  }
}

// Replaces the entries of `target` that `fresh` holds, keeping everything else; see the class.
void merge_into(const fs::path& fresh, const fs::path& target) {
  check_merge(fresh, target);
  const Manifest old = read_manifest(target);
  const std::vector<fs::path> entries = entries_of(fresh);
  Manifest during = old, after;
  for (const auto& [name, stamps] : old)
    if (std::none_of(entries.begin(), entries.end(), [&](auto& e) { return under(name, e); }))
      after[name] = stamps;
  for (const fs::path& e : entries)
    for (const auto& [name, stamps] : stamps_under(fresh, e)) {
      during[name].insert(during[name].end(), stamps.begin(), stamps.end());
      after[name] = stamps;
    }
  write_manifest(target, during);
  const fs::path replaced = fresh / ".replaced";
  fs::create_directory(replaced);
  for (const fs::path& e : entries) {
    if (fs::exists(fs::symlink_status(target / e))) fs::rename(target / e, replaced / e);
    fs::rename(fresh / e, target / e);
  }
  write_manifest(target, after);
}

}  // namespace

void AtomicFolder::check() const {
  try {
    check_merge(temp_, final_);
  } catch (const fs::filesystem_error& e) {
    cannot_write(final_, e.code().message());
  }
}

void AtomicFolder::commit() {
  try {
    if (fs::exists(fs::symlink_status(final_))) {
      merge_into(temp_, final_);
      fs::remove_all(temp_);  // it holds only what was replaced
    } else {
      Manifest made;
      for (const fs::path& e : entries_of(temp_)) made.merge(stamps_under(temp_, e));
      write_manifest(temp_, made);
      fs::rename(temp_, final_);
    }
  } catch (const fs::filesystem_error& e) {
    cannot_write(final_, e.code().message());
  }
  committed_ = true;
}

void write_bytes(const std::string& file, std::string_view bytes, const std::string& name) {
  std::ofstream f(file, std::ios::binary | std::ios::trunc);
  f.write(bytes.data(), std::streamsize(bytes.size()));
  f.close();
  if (!f) cannot_write(name, "the write failed (is the disk full?)");
}

void write_atomically(const std::string& path, std::string_view bytes) {
  AtomicFile out(path);
  write_bytes(out.temp_path(), bytes, path);
  out.commit();
}

void OutputSet::check_new(const std::string& path) const {
  const fs::path p = fs::weakly_canonical(path);
  auto same = [&](const auto& out) { return fs::weakly_canonical(out->final_path()) == p; };
  if (std::any_of(files_.begin(), files_.end(), same) ||
      std::any_of(folders_.begin(), folders_.end(), same))
    throw std::invalid_argument("two outputs are the same file: " + path);
}

std::string OutputSet::temp_for(const std::string& path, std::string_view suffix) {
  check_new(path);
  files_.push_back(std::make_unique<AtomicFile>(path, suffix));
  return files_.back()->temp_path();
}

std::string OutputSet::temp_folder_for(const std::string& path) {
  check_new(path);
  folders_.push_back(std::make_unique<AtomicFolder>(path));
  return folders_.back()->temp_path();
}

void OutputSet::add_text(const std::string& path, std::string_view text) {
  write_bytes(temp_for(path), text, path);
}

void OutputSet::commit() {
  for (auto& f : folders_) f->check();  // a refusal must come before anything moves
  for (auto& f : files_) f->commit();
  for (auto& f : folders_) f->commit();
}

void check_may_replace(const std::string& path) {
  const fs::path p(path);
  if (!fs::exists(fs::symlink_status(p))) return;
  const fs::path dir = parent_of(p);
  if (!first_foreign_file(dir, p.filename(), read_manifest(dir)).empty())
    throw std::runtime_error("'" + path +
                             "' exists and was not made by tessera (or was changed since); "
                             "remove it or choose another name");
}

void record_made_file(const std::string& path) {
  const fs::path p(path);
  const fs::path dir = parent_of(p);
  Manifest m = read_manifest(dir);
  for (auto& [name, stamps] : stamps_under(dir, p.filename())) m[name] = stamps;
  write_manifest(dir, m);
}

}  // namespace tessera
