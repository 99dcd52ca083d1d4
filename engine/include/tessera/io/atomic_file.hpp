#pragma once
// Write-then-rename, so an interrupted run never leaves a half-written output that looks whole.
//
//   AtomicFile out("result.h5");
//   write_everything(out.temp_path());
//   out.commit();          // renames into place; without it the destructor removes the temp
#include <memory>
#include <string>
#include <string_view>
#include <vector>

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

// Outputs that belong together (a forecast and its plot, scores and their table, detections and
// the photos they are drawn on): each file or folder is written to its temporary and all are
// moved into place by commit(), files first, so a failure part way leaves none of them. Throws
// when two outputs are the same path.
//
//   OutputSet out;
//   out.add_text("scores.json", json);
//   write_line_plot(out.temp_for("scores.png"), plot);
//   out.commit();
class OutputSet {
 public:
  void add_text(const std::string& path, std::string_view text);
  // The temporary path to write `path`'s content to, for writers that write files themselves.
  std::string temp_for(const std::string& path);
  // The temporary folder (created) to fill in place of the folder `path`.
  std::string temp_folder_for(const std::string& path);
  void commit();

 private:
  void check_new(const std::string& path) const;

  std::vector<std::unique_ptr<AtomicFile>> files_;
  std::vector<std::unique_ptr<AtomicFolder>> folders_;
};

// Writes `bytes` to `file` as they are; throws naming `name` (the file the user asked for, when
// `file` is its temporary) when it cannot.
void write_bytes(const std::string& file, std::string_view bytes, const std::string& name);

// Writes `bytes` to `path` whole or not at all, through an AtomicFile.
void write_atomically(const std::string& path, std::string_view bytes);

}  // namespace tessera
