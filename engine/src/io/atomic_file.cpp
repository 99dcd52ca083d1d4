#include "tessera/io/atomic_file.hpp"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <system_error>

namespace tessera {

namespace fs = std::filesystem;

AtomicFile::AtomicFile(std::string final_path) : final_(std::move(final_path)) {
  const fs::path p(final_);
  const fs::path dir = p.has_parent_path() ? p.parent_path() : fs::path(".");
  if (!fs::is_directory(dir))
    throw std::runtime_error("cannot write '" + final_ + "': folder '" + dir.string() +
                             "' does not exist");
  // The temporary sits beside the target so the rename stays on one file system.
  std::string name = ".";
  name += p.filename().string();
  name += ".tmp";
  name += std::to_string(::getpid());
  temp_ = (dir / name).string();
}

AtomicFile::~AtomicFile() {
  if (!committed_) {
    std::error_code ec;
    fs::remove(temp_, ec);
  }
}

void AtomicFile::commit() {
  std::error_code ec;
  fs::rename(temp_, final_, ec);
  if (ec) throw std::runtime_error("cannot write '" + final_ + "': " + ec.message());
  committed_ = true;
}

AtomicFolder::AtomicFolder(const std::string& final_path) {
  fs::path p = fs::path(final_path).lexically_normal();
  if (p.filename().empty()) p = p.parent_path();  // "out/" names the folder "out"
  final_ = p.string();
  temp_ = final_ + ".partial";
  fs::remove_all(temp_);
  fs::create_directories(temp_);
}

AtomicFolder::~AtomicFolder() {
  if (!committed_) {
    std::error_code ec;
    fs::remove_all(temp_, ec);
  }
}

void AtomicFolder::commit() {
  const std::string old = final_ + ".old";
  fs::remove_all(old);
  if (fs::exists(final_)) fs::rename(final_, old);
  fs::rename(temp_, final_);
  fs::remove_all(old);
  committed_ = true;
}

void write_bytes(const std::string& file, std::string_view bytes, const std::string& name) {
  std::ofstream f(file, std::ios::binary);
  f.write(bytes.data(), std::streamsize(bytes.size()));
  f.close();
  if (!f) throw std::runtime_error("cannot write '" + name + "'");
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

std::string OutputSet::temp_for(const std::string& path) {
  check_new(path);
  files_.push_back(std::make_unique<AtomicFile>(path));
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
  for (auto& f : files_) f->commit();
  for (auto& f : folders_) f->commit();
}

}  // namespace tessera
