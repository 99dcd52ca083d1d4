// Corrupt files, fuzz style, for every format family the volume readers take: a small valid file
// is written by our own writer, then damaged: truncated at several points, one bit flipped at
// seeded positions, its header crafted to promise sizes the file cannot hold. Each damaged file
// is opened and read whole in a child process: it must end in an exception with a one-line
// message, or (for a flipped bit the format cannot notice, in pixel data) in a volume of the
// right size, never in a crash, a hang or a truncated file read as if whole.
#include <H5Cpp.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "child_process.hpp"
#include "temp_dir.hpp"
#include "tessera/formats/volume_io.hpp"

namespace tessera {
namespace {

namespace fs = std::filesystem;
using testing::ChildEnd;
using testing::run_in_child;

constexpr unsigned kSecondsPerFile = 20;  // a hang is a failure, not a stuck test run
constexpr int kFlips = 24;

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc)
      .write(bytes.data(), std::streamsize(bytes.size()));
}

// A smooth pattern with some structure, so compressed formats have real compressed data.
Tensor sample(int64_t channels, const Shape& size) {
  Shape shape{1, channels};
  shape.insert(shape.end(), size.begin(), size.end());
  Tensor t = Tensor::empty(shape);
  std::mt19937 rng(11);
  for (int64_t i = 0; i < t.numel(); ++i) t.data()[i] = float(i % 97) + float(rng() % 7);
  return t;
}

void write_sample(const std::string& spec, const Shape& size, int64_t channels,
                  const std::string& type) {
  TensorSource source(sample(channels, size));
  auto sink = create_volume(spec, source.info(), channels, type);
  sink->write(Region::whole(size), source.read(Region::whole(size)));
  sink->commit();
}

// Opens `spec` and reads all of it, in a child process.
ChildEnd read_in_child(const std::string& spec) {
  return run_in_child(
      [&] {
        auto source = open_volume(spec);
        source->read(Region::whole(source->info().size));
      },
      {.max_seconds = kSecondsPerFile});
}

struct Family {
  std::string file;    // written in the test folder
  std::string suffix;  // after the file name in the spec (":raw" for HDF5)
  Shape size;
  int64_t channels;
  std::string type;
  std::string prefix = "";  // before it ("geotiff:")
};

void PrintTo(const Family& f, std::ostream* os) {
  *os << f.prefix << f.file << f.suffix;
}

class CorruptFiles : public testing::TempDirTest, public ::testing::WithParamInterface<Family> {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    const Family& f = GetParam();
    file_ = path(f.file);
    spec_ = f.prefix + file_ + f.suffix;
    write_sample(spec_, f.size, f.channels, f.type);
    valid_ = read_file(file_);
    ASSERT_GT(valid_.size(), 64u);
    const ChildEnd intact = read_in_child(spec_);
    ASSERT_EQ(intact.how, ChildEnd::How::returned) << "the valid file reads: " << intact.message;
  }

  // The damaged bytes in place of the file; what reading it did.
  ChildEnd read_damaged(const std::string& bytes) {
    write_file(file_, bytes);
    return read_in_child(spec_);
  }

  std::string file_, spec_, valid_;
};

void expect_one_line_error(const ChildEnd& end, const std::string& what) {
  ASSERT_EQ(end.how, ChildEnd::How::threw) << what << ": " << end.message;
  EXPECT_FALSE(end.message.empty()) << what;
  EXPECT_EQ(end.message.find('\n'), std::string::npos) << what << ": " << end.message;
}

TEST_P(CorruptFiles, TruncatedFilesAreErrors) {
  const size_t n = valid_.size();
  for (size_t keep : {size_t{0}, size_t{1}, size_t{16}, n / 4, n / 2, 3 * n / 4, n - 16, n - 1})
    expect_one_line_error(read_damaged(valid_.substr(0, keep)),
                          "truncated to " + std::to_string(keep) + " of " + std::to_string(n));
}

TEST_P(CorruptFiles, FlippedBitsAreErrorsOrReadNoCrash) {
  std::mt19937_64 rng(1234);
  for (int i = 0; i < kFlips; ++i) {
    std::string bytes = valid_;
    const size_t at = rng() % bytes.size();
    const int bit = static_cast<int>(rng() % 8);
    bytes[at] = static_cast<char>(bytes[at] ^ (1 << bit));
    const ChildEnd end = read_damaged(bytes);
    const std::string what = "bit " + std::to_string(bit) + " of byte " + std::to_string(at);
    EXPECT_NE(end.how, ChildEnd::How::died) << what << ": " << end.message;
    if (end.how == ChildEnd::How::threw) {
      EXPECT_EQ(end.message.find('\n'), std::string::npos) << what << ": " << end.message;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(EveryFormat, CorruptFiles,
                         ::testing::Values(Family{"v.h5", ":raw", {4, 24, 24}, 1, "float32"},
                                           Family{"m.h5", ":a/b", {24, 24}, 3, "uint8"},
                                           Family{"v.mha", "", {4, 24, 24}, 2, "float32"},
                                           Family{"v.nrrd", "", {4, 24, 24}, 1, "uint16"},
                                           Family{"v.nii", "", {4, 24, 24}, 1, "float32"},
                                           Family{"v.nii.gz", "", {4, 24, 24}, 1, "float32"},
                                           Family{"v.tif", "", {4, 24, 24}, 1, "float32"},
                                           Family{"v2.tif", "", {40, 40}, 3, "uint8"},
                                           Family{"g.tif", "", {40, 40}, 2, "float32", "geotiff:"},
                                           Family{"v.png", "", {40, 40}, 3, "uint8"},
                                           Family{"v.pgm", "", {40, 40}, 1, "uint16"},
                                           Family{"v.bmp", "", {40, 40}, 3, "uint8"},
                                           Family{"v.jpg", "", {40, 40}, 3, "uint8"}),
                         [](const auto& info) {
                           std::string n = info.param.prefix + info.param.file;
                           for (char& c : n)
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           return n;
                         });

// ---------------------------------------------------------------------------------------------
// Headers crafted to promise what the file cannot hold.

class CraftedHeaders : public testing::TempDirTest {
 protected:
  // A valid file from our writer, with `from` replaced by `to` in its header.
  std::string crafted(const std::string& name, const std::string& from, const std::string& to) {
    const std::string file = path(name);
    write_sample(file, {4, 24, 24}, 1, "float32");
    std::string bytes = read_file(file);
    const size_t at = bytes.find(from);
    EXPECT_NE(at, std::string::npos) << from << " in " << bytes.substr(0, 300);
    if (at != std::string::npos) bytes.replace(at, from.size(), to);
    write_file(file, bytes);
    return file;
  }
};

TEST_F(CraftedHeaders, MetaImageSizesTheFileCannotHold) {
  for (const std::string to : {"DimSize = 24 24 4000000", "DimSize = 24 0 4",
                               "DimSize = 4000000000 4000000000 4000000000"}) {
    expect_one_line_error(read_in_child(crafted("huge.mha", "DimSize = 24 24 4", to)), to);
  }
  // MetaIO allocates what CompressedDataSize says before reading it.
  const std::string file = crafted("bomb.mha", "CompressedDataSize = ", "CompressedDataSize = 9");
  expect_one_line_error(read_in_child(file), "CompressedDataSize with a 9 in front");
}

TEST_F(CraftedHeaders, CorruptCompressedDataIsAnError) {
  // Same length, so only the inflating notices: the middle of the compressed stream is noise.
  const std::string file = path("noise.mha");
  write_sample(file, {4, 24, 24}, 1, "float32");
  std::string bytes = read_file(file);
  const size_t data = bytes.find("ElementDataFile = LOCAL\n") + 24;
  ASSERT_LT(data + 40, bytes.size());
  std::mt19937 rng(5);
  for (size_t i = data + 8; i < bytes.size() - 8; ++i) bytes[i] = static_cast<char>(rng());
  write_file(file, bytes);
  expect_one_line_error(read_in_child(file), "noise for compressed data");
}

TEST_F(CraftedHeaders, NrrdSizesTheFileCannotHold) {
  for (const std::string to : {"sizes: 24 24 4000000", "sizes: 24 0 4"})
    expect_one_line_error(read_in_child(crafted("huge.nrrd", "sizes: 24 24 4", to)), to);
}

TEST_F(CraftedHeaders, Hdf5DatasetsOfNoOrImpossibleSize) {
  for (const std::vector<hsize_t>& dims :
       {std::vector<hsize_t>{4, 0, 24}, std::vector<hsize_t>{0, 24},
        std::vector<hsize_t>{1u << 30, 1u << 30, 1u << 30}, std::vector<hsize_t>{3, 5}}) {
    const std::string file = path("d.h5");
    {
      H5::H5File f(file, H5F_ACC_TRUNC);
      std::vector<hsize_t> chunk(dims.size(), 1);
      H5::DSetCreatPropList dcpl;
      dcpl.setChunk(static_cast<int>(chunk.size()), chunk.data());
      std::vector<hsize_t> max(dims.size(), H5S_UNLIMITED);
      f.createDataSet("raw", H5::PredType::NATIVE_FLOAT,
                      H5::DataSpace(static_cast<int>(dims.size()), dims.data(), max.data()), dcpl);
    }
    const ChildEnd end = read_in_child(file + ":raw");
    if (dims == std::vector<hsize_t>{3, 5}) {  // the control: unwritten chunks read as fill values
      EXPECT_EQ(end.how, ChildEnd::How::returned) << end.message;
    } else {
      expect_one_line_error(end, "dims " + std::to_string(dims[0]) + " ...");
    }
  }
}

TEST_F(CraftedHeaders, Hdf5NotADatasetAndNotHdf5) {
  const std::string file = path("g.h5");
  {
    H5::H5File f(file, H5F_ACC_TRUNC);
    f.createGroup("raw");
  }
  expect_one_line_error(read_in_child(file + ":raw"), "a group");
  expect_one_line_error(read_in_child(file + ":raw/x/y"), "a path below nothing");
  write_file(file, "\x89HDF\r\n\x1a\n" + std::string(100, '\0'));
  expect_one_line_error(read_in_child(file + ":raw"), "a signature and nothing else");
}

TEST_F(CraftedHeaders, MultiPageTiffMissingItsLastPages) {
  const std::string file = path("stack.tif");
  write_sample(file, {6, 32, 32}, 1, "uint8");
  const std::string bytes = read_file(file);
  // Cut where page 3 starts, then also a few bytes further: the directory chain points beyond.
  for (size_t keep : {bytes.size() / 2, bytes.size() / 2 + 7, bytes.size() - 200}) {
    write_file(file, bytes.substr(0, keep));
    expect_one_line_error(read_in_child(file), "stack cut to " + std::to_string(keep));
  }
}

}  // namespace
}  // namespace tessera
