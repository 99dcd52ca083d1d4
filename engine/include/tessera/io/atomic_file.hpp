#pragma once
// Write-then-rename, so an interrupted run never leaves a half-written output that looks whole.
//
//   AtomicFile out("result.h5");
//   write_everything(out.temp_path());
//   out.commit();          // renames into place; without it the destructor removes the temp
//
// Temporaries live in a private folder made exclusively under an unpredictable name beside their
// target (so no link planted there is followed), and the rename stays on one file system.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace tessera {

class AtomicFile {
 public:
  // `suffix` ends the temporary's name, for libraries that choose the encoding from it (".mha").
  explicit AtomicFile(std::string final_path, std::string_view suffix = "");
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  const std::string& temp_path() const { return temp_; }
  const std::string& final_path() const { return final_; }
  void commit();

 private:
  std::string final_, folder_, temp_;
};

// A folder of outputs (slices, annotated photos, a synthetic data set), filled under
// temp_path() and merged into the target by commit(). The merge never destroys what tessera did
// not write: an entry of the target that the new folder also holds is replaced only when an
// earlier tessera run wrote it and it has not changed since (the folder's manifest,
// .tessera-outputs.json, says so); otherwise commit() throws, naming it, before anything moves.
// Entries the new folder does not hold are left as they are. Without commit the temporary folder
// is removed.
class AtomicFolder {
 public:
  explicit AtomicFolder(const std::string& final_path);
  ~AtomicFolder();
  AtomicFolder(const AtomicFolder&) = delete;
  AtomicFolder& operator=(const AtomicFolder&) = delete;

  const std::string& temp_path() const { return temp_; }
  const std::string& final_path() const { return final_; }
  // Throws what commit() would throw for a file tessera did not write, moving nothing.
  void check() const;
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
  std::string temp_for(const std::string& path, std::string_view suffix = "");
  // The temporary folder (created) to fill for the folder `path` (an AtomicFolder).
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

// For generators (synth), which must never replace a file they did not make: throws naming
// `path` when it exists and its folder's manifest does not list it as written by tessera and
// unchanged since. record_made_file(path) adds it to that manifest once written.
void check_may_replace(const std::string& path);
void record_made_file(const std::string& path);

}  // namespace tessera
