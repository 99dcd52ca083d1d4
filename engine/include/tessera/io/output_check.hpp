#pragma once
// The check every command makes before it starts work: no output may write over or into one of
// its inputs, and every output must have somewhere to go. Paths name files and folders: a
// volume spec ("file.h5:dataset", "gdal:x.tif") is given as its file (formats' volume_file), so
// two datasets of one HDF5 file are the same file.
//
//   check_outputs_spare_inputs({.inputs = {{"raw", raw}, {"model", model}},
//                               .output_files = {{"output", affinities}}});
#include <string>
#include <vector>

namespace tessera {

// A path and the setting that names it, for messages ("--output: ..." on the command line).
struct NamedPath {
  std::string setting;
  std::string path;  // "" for an option not given: ignored
};

struct CommandPaths {
  std::vector<NamedPath> inputs{};          // files and folders read
  std::vector<NamedPath> output_files{};    // their folder must exist and be writable
  std::vector<NamedPath> output_folders{};  // made (with their parents) when missing
};

// Throws SettingError naming the output's setting when an output is an input (the same file,
// links included), a folder that holds an input, or lies inside an input folder, or when two
// outputs are the same file, or when an output's folder does not exist or cannot be written.
void check_outputs_spare_inputs(const CommandPaths& paths);

}  // namespace tessera
