// Outputs that belong together: all of them in place after commit, none without it.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "error_of.hpp"
#include "temp_dir.hpp"
#include "tessera/io/atomic_file.hpp"

namespace tessera {
namespace {

using OutputSetTest = tessera::testing::TempDirTest;
using tessera::testing::error_of;

std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

TEST_F(OutputSetTest, CommitPutsEveryFileAndFolderInPlace) {
  OutputSet out;
  out.add_text(path("a.json"), "{}\n");
  {
    std::ofstream f(out.temp_for(path("b.txt")));
    f << "written by its own writer";
  }
  const std::string folder = out.temp_folder_for(path("pictures"));
  std::ofstream(folder + "/one.txt") << "1";
  EXPECT_FALSE(std::filesystem::exists(path("a.json")));
  EXPECT_FALSE(std::filesystem::exists(path("pictures")));
  out.commit();
  EXPECT_EQ(read_file(path("a.json")), "{}\n");
  EXPECT_EQ(read_file(path("b.txt")), "written by its own writer");
  EXPECT_EQ(read_file(path("pictures/one.txt")), "1");
  EXPECT_EQ(files_in_dir(), 3u);  // no temporaries left
}

TEST_F(OutputSetTest, WithoutCommitNothingIsLeft) {
  {
    OutputSet out;
    out.add_text(path("a.json"), "{}");
    std::ofstream(out.temp_folder_for(path("pictures")) + "/one.txt") << "1";
  }
  EXPECT_EQ(files_in_dir(), 0u);
}

TEST_F(OutputSetTest, RefusesTheSameOutputTwice) {
  OutputSet out;
  out.add_text(path("scores.md"), "a");
  EXPECT_HAS(error_of([&] { out.add_text(path("./scores.md"), "b"); }),
             "two outputs are the same file");
  EXPECT_HAS(error_of([&] { out.temp_folder_for(path("scores.md")); }),
             "two outputs are the same file");
}

}  // namespace
}  // namespace tessera
