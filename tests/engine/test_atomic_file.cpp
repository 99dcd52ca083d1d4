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

TEST_F(OutputSetTest, TemporariesAreUnguessableAndNeverFollowALink) {
  // A link planted where the old scheme put its temporary must not redirect the write.
  const std::string victim = path("victim.txt");
  std::ofstream(victim) << "precious";
  for (const char* planted : {".out.txt.tmp", ".out.txt.tmp-000000"})
    std::filesystem::create_symlink(victim, path(planted));
  write_atomically(path("out.txt"), "result");
  EXPECT_EQ(read_file(victim), "precious");
  EXPECT_EQ(read_file(path("out.txt")), "result");
  AtomicFile a(path("x.mha"), ".mha"), b(path("x.mha"), ".mha");
  EXPECT_NE(a.temp_path(), b.temp_path());
  EXPECT_TRUE(a.temp_path().ends_with(".mha"));
  EXPECT_FALSE(std::filesystem::is_symlink(a.temp_path()));
}

TEST_F(OutputSetTest, AFolderOutputKeepsWhatItDoesNotWrite) {
  const std::string out = path("out");
  std::filesystem::create_directories(out + "/annotated");
  std::ofstream(out + "/notes.txt") << "mine";
  std::ofstream(out + "/annotated/a.jpg") << "mine too";
  AtomicFolder f(out);
  std::ofstream(f.temp_path() + "/detections.csv") << "new";
  f.commit();
  EXPECT_EQ(read_file(out + "/notes.txt"), "mine");
  EXPECT_EQ(read_file(out + "/annotated/a.jpg"), "mine too");
  EXPECT_EQ(read_file(out + "/detections.csv"), "new");
  EXPECT_EQ(files_in_dir(), 1u);  // no temporary folder left beside it
}

TEST_F(OutputSetTest, AFolderOutputReplacesOnlyFilesTesseraWroteUnchanged) {
  const std::string out = path("synth");
  const auto run = [&](const std::string& text) {
    AtomicFolder f(out);
    std::filesystem::create_directories(f.temp_path() + "/labels");
    std::ofstream(f.temp_path() + "/config.yaml") << text;
    std::ofstream(f.temp_path() + "/labels/1.txt") << text;
    f.commit();
  };
  run("first");
  run("second");  // its own earlier output: replaced
  EXPECT_EQ(read_file(out + "/config.yaml"), "second");
  std::ofstream(out + "/config.yaml") << "edited by the user";
  const std::string e = error_of([&] { run("third"); });
  EXPECT_HAS(e, "config.yaml' was not written by tessera (or was changed since)");
  EXPECT_EQ(read_file(out + "/config.yaml"), "edited by the user");
  EXPECT_EQ(read_file(out + "/labels/1.txt"), "second");  // nothing moved before the refusal
  std::ofstream(out + "/labels/2.txt") << "the user's";
  std::filesystem::remove(out + "/config.yaml");
  EXPECT_HAS(error_of([&] { run("fourth"); }), "labels/2.txt' was not written by tessera");
}

TEST_F(OutputSetTest, ARefusedFolderLeavesTheOtherOutputsOfItsSetUnwritten) {
  std::filesystem::create_directories(path("out"));
  std::ofstream(path("out/a.txt")) << "the user's";
  OutputSet out;
  out.add_text(path("scores.json"), "{}");
  std::ofstream(out.temp_folder_for(path("out")) + "/a.txt") << "new";
  EXPECT_HAS(error_of([&] { out.commit(); }), "was not written by tessera");
  EXPECT_FALSE(std::filesystem::exists(path("scores.json")));
  EXPECT_EQ(read_file(path("out/a.txt")), "the user's");
}

TEST_F(OutputSetTest, GeneratorsReplaceOnlyTheirOwnFiles) {
  const std::string file = path("em.h5");
  EXPECT_NO_THROW(check_may_replace(file));  // nothing there yet
  write_atomically(file, "synthetic");
  record_made_file(file);
  EXPECT_NO_THROW(check_may_replace(file));
  write_atomically(file, "a real volume the user put here");
  EXPECT_HAS(error_of([&] { check_may_replace(file); }), "exists and was not made by tessera");
}

}  // namespace
}  // namespace tessera
