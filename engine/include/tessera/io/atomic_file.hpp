#pragma once
// Write-then-rename, so an interrupted run never leaves a half-written output that looks whole.
//
//   AtomicFile out("result.h5");
//   write_everything(out.temp_path());
//   out.commit();          // renames into place; without it the destructor removes the temp
#include <string>
#include <string_view>

namespace tessera {

class AtomicFile {
 public:
  explicit AtomicFile(std::string final_path);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  const std::string& temp_path() const { return temp_; }
  const std::string& final_path() const { return final_; }
  void commit();

 private:
  std::string final_, temp_;
  bool committed_ = false;
};

// The same for a folder of files: built as "<target>.partial" and swapped in for the target
// by commit() (the old folder goes only once the new one is in place); without commit the
// partial folder is removed.
class AtomicFolder {
 public:
  explicit AtomicFolder(const std::string& final_path);
  ~AtomicFolder();
  AtomicFolder(const AtomicFolder&) = delete;
  AtomicFolder& operator=(const AtomicFolder&) = delete;

  const std::string& temp_path() const { return temp_; }
  const std::string& final_path() const { return final_; }
  void commit();

 private:
  std::string final_, temp_;
  bool committed_ = false;
};

// Writes `bytes` to `file` as they are; throws naming `name` (the file the user asked for, when
// `file` is its temporary) when it cannot.
void write_bytes(const std::string& file, std::string_view bytes, const std::string& name);

// Writes `bytes` to `path` whole or not at all, through an AtomicFile.
void write_atomically(const std::string& path, std::string_view bytes);

}  // namespace tessera
