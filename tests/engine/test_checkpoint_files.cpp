// Checkpoint files that are not what they should be: saved on a full disk, truncated, with bits
// flipped, or crafted (wrong shapes, impossible sizes, wrong types, missing parts). Each is a
// one-line error naming the file, never a crash, a huge allocation or a half-written file. Saves
// and loads run in child processes, so a crash is reported rather than ending the suite.
#include <H5Cpp.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "child_process.hpp"
#include "temp_dir.hpp"
#include "tessera/io/checkpoint.hpp"
#include "tessera/nn/containers.hpp"
#include "tessera/nn/layers.hpp"
#include "tessera/train/optimizer.hpp"

namespace tessera {
namespace {

namespace fs = std::filesystem;
using testing::ChildEnd;
using testing::run_in_child;

class CheckpointFiles : public testing::TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    model_ = make_model();
    optimizer_ = make_adam({});
    for (Param* p : model_->parameters()) optimizer_->state()[p->name + "/m"] = p->value;
    good_ = path("good.h5");
    save_checkpoint(good_, *model_, optimizer_.get(), 3);
  }

  static std::unique_ptr<Module> make_model() {
    auto s = std::make_unique<Sequential>();
    s->add(
        std::make_unique<Conv>(ConvOptions{.in_channels = 1, .out_channels = 8, .kernel = {3, 3}}));
    s->add(
        std::make_unique<Conv>(ConvOptions{.in_channels = 8, .out_channels = 2, .kernel = {3, 3}}));
    s->initialize(1);
    return s;
  }

  // A copy of the good checkpoint changed by `edit`, which gets the open file.
  template <typename F>
  std::string edited(const std::string& name, F edit) {
    const std::string file = path(name);
    fs::copy_file(good_, file, fs::copy_options::overwrite_existing);
    H5::H5File f(file, H5F_ACC_RDWR);
    edit(f);
    return file;
  }

  std::unique_ptr<Module> model_;
  std::unique_ptr<Optimizer> optimizer_;
  std::string good_;
};

ChildEnd load_in_child(const std::string& file) {
  return run_in_child([&] { load_checkpoint(file); }, {.max_seconds = 30});
}

void expect_one_line_error(const ChildEnd& end, const std::string& what,
                           const std::string& part = "") {
  ASSERT_EQ(end.how, ChildEnd::How::threw) << what << ": " << end.message;
  EXPECT_EQ(end.message.find('\n'), std::string::npos) << what << ": " << end.message;
  EXPECT_NE(end.message.find(part), std::string::npos) << what << ": " << end.message;
}

TEST_F(CheckpointFiles, SaveOnAFullDiskIsAnErrorAndLeavesNothing) {
  const std::string file = path("full.h5");
  const ChildEnd end = run_in_child([&] { save_checkpoint(file, *model_, optimizer_.get(), 3); },
                                    {.max_file_bytes = 4 << 10});
  expect_one_line_error(end, "full disk", "full.h5");
  EXPECT_FALSE(fs::exists(file));
  EXPECT_EQ(files_in_dir(), 1u) << "only good.h5: no temporary is left behind";
}

TEST_F(CheckpointFiles, TruncatedAndBitFlippedFilesAreErrorsNotCrashes) {
  std::ifstream in(good_, std::ios::binary);
  const std::string bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  const std::string file = path("bad.h5");
  auto put = [&](const std::string& b) {
    std::ofstream(file, std::ios::binary).write(b.data(), std::streamsize(b.size()));
  };
  const size_t n = bytes.size();
  for (size_t keep : {size_t{8}, n / 4, n / 2, 3 * n / 4, n - 1}) {
    put(bytes.substr(0, keep));
    expect_one_line_error(load_in_child(file), "truncated to " + std::to_string(keep), "bad.h5");
  }
  std::mt19937_64 rng(99);
  for (int i = 0; i < 40; ++i) {
    std::string b = bytes;
    const size_t at = rng() % n;
    b[at] = static_cast<char>(b[at] ^ (1 << (rng() % 8)));
    put(b);
    const ChildEnd end = load_in_child(file);
    EXPECT_NE(end.how, ChildEnd::How::died) << "byte " << at << ": " << end.message;
    if (end.how == ChildEnd::How::threw) {
      EXPECT_EQ(end.message.find('\n'), std::string::npos) << end.message;
    }
  }
}

TEST_F(CheckpointFiles, CraftedFilesGiveOneLineErrors) {
  const std::string w0 = "/weights/" + model_->parameters()[0]->name;
  const std::string m0 = "/optimizer/" + model_->parameters()[0]->name + "/m";
  auto replace_dataset = [](H5::H5File& f, const std::string& name, std::vector<hsize_t> dims,
                            const H5::PredType& type) {
    f.unlink(name);
    std::vector<hsize_t> max(dims.size(), H5S_UNLIMITED), chunk(dims.size(), 1);
    H5::DSetCreatPropList dcpl;
    dcpl.setChunk(static_cast<int>(chunk.size()), chunk.data());
    f.createDataSet(name, type, H5::DataSpace(int(dims.size()), dims.data(), max.data()), dcpl);
  };
  expect_one_line_error(
      load_in_child(edited("shape.h5",
                           [&](H5::H5File& f) {
                             replace_dataset(f, w0, {2, 2}, H5::PredType::NATIVE_FLOAT);
                           })),
      "wrong shape", "architecture needs");
  expect_one_line_error(
      load_in_child(edited(
          "huge.h5",
          [&](H5::H5File& f) {
            replace_dataset(f, m0, {1u << 30, 1u << 30, 1u << 30}, H5::PredType::NATIVE_FLOAT);
          })),
      "huge optimizer state", "huge.h5");
  expect_one_line_error(load_in_child(edited("unwritten.h5",
                                             [&](H5::H5File& f) {
                                               f.unlink(m0);
                                               hsize_t d = 1u << 28;
                                               f.createDataSet(m0, H5::PredType::NATIVE_FLOAT,
                                                               H5::DataSpace(1, &d));
                                             })),
                        "declared but never written", "unwritten.h5");
  expect_one_line_error(load_in_child(edited("type.h5",
                                             [&](H5::H5File& f) {
                                               f.unlink(w0);
                                               hsize_t d = 4;
                                               H5::StrType str(H5::PredType::C_S1, 8);
                                               f.createDataSet(w0, str, H5::DataSpace(1, &d));
                                             })),
                        "strings for weights", "does not hold floats");
  expect_one_line_error(
      load_in_child(edited("missing.h5", [&](H5::H5File& f) { f.unlink("/weights"); })),
      "no weights group", "missing dataset");
  expect_one_line_error(
      load_in_child(edited(
          "step.h5",
          [&](H5::H5File& f) {
            f.removeAttr("step");
            H5::StrType str(H5::PredType::C_S1, H5T_VARIABLE);
            f.createAttribute("step", str, H5::DataSpace(H5S_SCALAR)).write(str, std::string("3"));
          })),
      "step as a string", "'step' is not a single integer");
  expect_one_line_error(load_in_child(edited("arch.h5",
                                             [&](H5::H5File& f) {
                                               f.removeAttr("architecture");
                                               const int64_t v = 7;
                                               f.createAttribute("architecture",
                                                                 H5::PredType::NATIVE_INT64,
                                                                 H5::DataSpace(H5S_SCALAR))
                                                   .write(H5::PredType::NATIVE_INT64, &v);
                                             })),
                        "architecture as a number", "'architecture' is not a string");
  expect_one_line_error(load_in_child(edited("keys.h5",
                                             [&](H5::H5File& f) {
                                               f.removeAttr("state_keys");
                                               H5::StrType str(H5::PredType::C_S1, H5T_VARIABLE);
                                               f.createAttribute("state_keys", str,
                                                                 H5::DataSpace(H5S_SCALAR))
                                                   .write(str, std::string("[\"no/such/key\"]"));
                                             })),
                        "a state key without data", "missing dataset");
}

}  // namespace
}  // namespace tessera
