// No output may write over or into one of its inputs; every output needs a folder to go to.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "error_of.hpp"
#include "temp_dir.hpp"
#include "tessera/io/output_check.hpp"

namespace tessera {
namespace {

using tessera::testing::error_of;
namespace fs = std::filesystem;

class OutputCheckTest : public tessera::testing::TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    fs::create_directories(path("proj/sub"));
    std::ofstream(path("proj/sub/em.h5")) << "raw";
    std::ofstream(path("model.h5")) << "weights";
  }
  // The error of a run reading the raw volume and the model.
  std::string check(const std::vector<std::string>& files,
                    const std::vector<std::string>& folders = {}) {
    CommandPaths p{.inputs = {{"raw", path("proj/sub/em.h5")}, {"model", path("model.h5")}}};
    for (const std::string& f : files) p.output_files.push_back({"output", f});
    for (const std::string& f : folders) p.output_folders.push_back({"output", f});
    return error_of([&] { check_outputs_spare_inputs(p); });
  }
};

TEST_F(OutputCheckTest, RefusesAnOutputThatIsAnInput) {
  EXPECT_HAS(check({path("model.h5")}),
             "output: '" + path("model.h5") + "' is the file given as model");
  EXPECT_HAS(check({path("proj/sub/../sub/em.h5")}), "is the file given as raw");
  fs::create_symlink(path("model.h5"), path("link.h5"));
  EXPECT_HAS(check({path("link.h5")}), "is the file given as model");
  fs::create_hard_link(path("model.h5"), path("hard.h5"));
  EXPECT_HAS(check({path("hard.h5")}), "is the file given as model");
}

TEST_F(OutputCheckTest, RefusesFoldersThatHoldInputsAndOutputsInsideInputFolders) {
  EXPECT_HAS(check({}, {path("proj")}), "is a folder that holds the file given as raw");
  EXPECT_HAS(check({}, {path("proj/")}), "is a folder that holds the file given as raw");
  const std::string e = error_of([&] {
    check_outputs_spare_inputs(
        {.inputs = {{"images", path("proj")}}, .output_files = {{"output", path("proj/o.h5")}}});
  });
  EXPECT_HAS(e, "lies inside the folder given as images");
}

TEST_F(OutputCheckTest, RefusesTwoOutputsInOneFile) {
  const std::string e = error_of([&] {
    check_outputs_spare_inputs(
        {.output_files = {{"affinities", path("a.h5")}, {"output", path("./a.h5")}}});
  });
  EXPECT_HAS(
      e, "output: '" + path("./a.h5") + "' would be written twice (as affinities and as output)");
}

TEST_F(OutputCheckTest, NeedsAnExistingWritableFolderForFiles) {
  EXPECT_HAS(check({path("no/such/folder/m.h5")}),
             "cannot be written: folder '" + path("no/such/folder") + "' does not exist");
  fs::create_directories(path("results"));
  EXPECT_HAS(check({path("results")}), "is a folder; a file is expected");
  std::ofstream(path("file")) << "x";
  EXPECT_HAS(check({}, {path("file")}), "is a file; a folder is expected");
}

TEST_F(OutputCheckTest, AcceptsOutputsBesideTheInputs) {
  EXPECT_NO_THROW(check_outputs_spare_inputs(
      {.inputs = {{"raw", path("proj/sub/em.h5")}, {"model", path("model.h5")}, {"labels", ""}},
       .output_files = {{"output", path("proj/sub/aff.h5")}, {"preview", ""}},
       .output_folders = {{"run", path("new/out")}}}));
}

}  // namespace
}  // namespace tessera
