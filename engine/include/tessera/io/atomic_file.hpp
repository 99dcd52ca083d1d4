#pragma once
// Write-then-rename, so an interrupted run never leaves a half-written output that looks whole.
//
//   AtomicFile out("result.h5");
//   write_everything(out.temp_path());
//   out.commit();          // renames into place; without it the destructor removes the temp
#include <string>

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

}  // namespace tessera
