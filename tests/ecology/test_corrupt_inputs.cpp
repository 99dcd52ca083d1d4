// Every ecology reader against a corpus of damaged inputs made here from small valid ones (no
// binary blobs in git): truncated at seeded lengths, bit-flipped at seeded positions, headers
// claiming huge sizes, YAML alias bombs. Each gives an exception whose one-line message names
// the file, or (a flip that leaves a well-formed file) a result that passes the reader's own
// checks; never a crash or a hang, and a truncated photo is never accepted.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <random>

#include "photo_bytes.hpp"
#include "temp_dir.hpp"
#include "tessera/ecology/detection_files.hpp"
#include "tessera/ecology/photos.hpp"
#include "tessera/ecology/workflow.hpp"

namespace tessera::ecology {
namespace {

namespace fs = std::filesystem;
using tessera::testing::photo_bytes;
using tessera::testing::write_file;

struct Damaged {
  std::string what;  // for failure messages
  std::string bytes;
  bool must_fail;  // truncated or crafted: accepting it would be silent corruption
};

// `n` truncations to seeded lengths in [0, keep) and `n` single-bit flips at seeded positions.
std::vector<Damaged> corpus(const std::string& valid, std::size_t keep, int n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<Damaged> out;
  for (int i = 0; i < n; ++i) {
    const std::size_t length = std::uniform_int_distribution<std::size_t>(0, keep - 1)(rng);
    out.push_back({"truncated to " + std::to_string(length), valid.substr(0, length), true});
  }
  for (int i = 0; i < n; ++i) {
    std::string b = valid;
    const std::size_t at = std::uniform_int_distribution<std::size_t>(0, b.size() - 1)(rng);
    const int bit = std::uniform_int_distribution<int>(0, 7)(rng);
    b[at] = char(uint8_t(b[at]) ^ (1u << bit));
    out.push_back(
        {"bit " + std::to_string(bit) + " of byte " + std::to_string(at) + " flipped", b, false});
  }
  return out;
}

class CorruptInputs : public tessera::testing::TempDirTest {
 protected:
  // Writes each damaged input to `name` and reads it with `read`, which returns normally only
  // for what it accepts (and checks the result); counts the refusals.
  int replay(const std::vector<Damaged>& inputs, const std::string& name,
             const std::function<void(const std::string&)>& read) {
    int refused = 0;
    for (const Damaged& d : inputs) {
      write_file(path(name), d.bytes);
      try {
        read(path(name));
        EXPECT_FALSE(d.must_fail) << name << " " << d.what << " was accepted";
      } catch (const std::exception& e) {
        const std::string message = e.what();
        EXPECT_NE(message.find(name), std::string::npos) << d.what << ": " << message;
        EXPECT_EQ(message.find('\n'), std::string::npos) << d.what << ": " << message;
        ++refused;
      }
    }
    return refused;
  }
};

// What an accepted dataset must satisfy whatever bytes it came from.
void expect_consistent(const Dataset& d) {
  for (const Annotation& a : d.annotations) {
    const auto im = std::find_if(d.images.begin(), d.images.end(),
                                 [&](const ImageInfo& i) { return i.id == a.image_id; });
    ASSERT_NE(im, d.images.end());
    EXPECT_TRUE(std::any_of(d.categories.begin(), d.categories.end(),
                            [&](const Category& c) { return c.id == a.category_id; }));
    EXPECT_GT(a.box.width, 0);
    EXPECT_GE(a.box.x, -1);
    EXPECT_LE(a.box.x + a.box.width, double(im->width) + 1);
  }
  for (const ImageInfo& im : d.images) {
    EXPECT_FALSE(fs::path(im.file_name).is_absolute()) << im.file_name;
    EXPECT_NE(*fs::path(im.file_name).lexically_normal().begin(), "..") << im.file_name;
  }
}

TEST_F(CorruptInputs, CocoJson) {
  write_coco(path("valid.json"),
             {{{1, "a.jpg", 64, 48}, {2, "n/b.jpg", 64, 48}},
              {{1, "moth"}, {2, "fly"}},
              {{1, 1, {10, 10, 20, 20}, 1}, {2, 2, {30, 5, 30, 40}, 1}, {2, 1, {0, 0, 8, 8}, 1}}});
  std::ifstream in(path("valid.json"));
  const std::string valid((std::istreambuf_iterator<char>(in)), {});
  // The last bytes are "}\n": a cut before the closing brace leaves no valid JSON.
  const int refused = replay(corpus(valid, valid.size() - 2, 60, 1), "coco.json",
                             [](const std::string& p) { expect_consistent(read_coco(p)); });
  EXPECT_GE(refused, 60);
}

TEST_F(CorruptInputs, DetectionFiles) {
  // COCO results as detect writes them, and its photos.json.
  write_coco_results(path("valid.json"),
                     {{1, 1, {10, 10, 20, 20}, 0.75}, {2, 2, {30, 5, 30, 40}, 0.5}});
  std::ifstream in(path("valid.json"));
  const std::string results((std::istreambuf_iterator<char>(in)), {});
  EXPECT_GE(replay(corpus(results, results.size() - 2, 40, 7), "detections.json",
                   [](const std::string& p) {
                     for (const Annotation& a : read_coco_results(p)) {
                       EXPECT_GT(a.box.width, 0);
                       EXPECT_TRUE(a.score >= 0 && a.score <= 1);
                     }
                   }),
            40);
  const std::string photos = detection_photos_json(
      {{{{1, "a.jpg", 64, 48}, {2, "n/b.jpg", 64, 48}}, {{1, "moth"}}, {}}, 0.25});
  EXPECT_GE(
      replay(corpus(photos, photos.size() - 2, 40, 8), "photos.json",
             [](const std::string& p) { expect_consistent(read_detection_photos(p).photos); }),
      40);
}

TEST_F(CorruptInputs, YoloLabels) {
  fs::create_directories(path("labels"));
  write_file(path("labels/classes.txt"), "moth\nfly\n");
  const std::string valid = "0 0.5 0.5 0.25 0.25\n1 0.25 0.3 0.1 0.2\n";
  const std::vector<ImageInfo> images = {{1, "a.jpg", 64, 48}};
  // A label file cut at a line or number boundary is still well formed: no refusal demanded.
  std::vector<Damaged> inputs = corpus(valid, valid.size(), 60, 2);
  for (Damaged& d : inputs) d.must_fail = false;
  replay(inputs, "labels/a.txt",
         [&](const std::string&) { expect_consistent(read_yolo(path("labels"), images)); });
  const std::string names = "moth\nfly\n";
  replay(corpus(names, names.size(), 20, 3), "labels/classes.txt", [&](const std::string&) {
    try {
      expect_consistent(read_yolo(path("labels"), images));
    } catch (const std::runtime_error& e) {
      // With fewer classes the label file's class 1 is unknown: an error naming it is right.
      if (std::string(e.what()).find("a.txt") == std::string::npos) throw;
      throw std::runtime_error("labels/classes.txt made " + std::string(e.what()));
    }
  });
}

TEST_F(CorruptInputs, DataYaml) {
  fs::create_directories(path("images/train"));
  write_file(path("images/train/a.jpg"), photo_bytes(".jpg"));
  fs::create_directories(path("labels/train"));
  write_file(path("labels/train/a.txt"), "0 0.5 0.5 0.25 0.25\n");  // class 0 survives any cut
  const std::string valid = "path: .\ntrain: images/train\nnames:\n  0: moth\n  1: fly\n";
  std::vector<Damaged> inputs = corpus(valid, valid.size(), 40, 4);
  for (Damaged& d : inputs) d.must_fail = false;
  // Billion laughs: each level names the one before nine times; aliases are never expanded.
  std::string bomb = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n";
  for (char c = 'b'; c <= 'z'; ++c)
    bomb += std::string(1, c) + ": &" + c + " [*" + char(c - 1) + ", *" + char(c - 1) + ", *" +
            char(c - 1) + ", *" + char(c - 1) + ", *" + char(c - 1) + "]\n";
  inputs.push_back({"alias bomb as names", bomb + "train: images/train\nnames: *z\n", true});
  inputs.push_back({"alias bomb in names", bomb + "train: images/train\nnames: [*z]\n", true});
  inputs.push_back({"deep nesting", "names: " + std::string(50000, '[') + "\n", true});
  inputs.push_back({"too large", valid + std::string(2 << 20, '#'), true});
  replay(inputs, "data.yaml", [](const std::string& p) {
    const Dataset d = read_annotations(p, "", "train");
    EXPECT_FALSE(d.categories.empty());
    expect_consistent(d);
  });
}

TEST_F(CorruptInputs, JpegPhotos) {
  const std::string valid = photo_bytes(".jpg", 96, 64);
  std::vector<Damaged> inputs = corpus(valid, valid.size(), 40, 5);
  using tessera::testing::jpeg_claiming;
  for (auto [w, h] : {std::pair{30000u, 30000u}, {65535u, 65535u}, {0u, 64u}, {96u, 65535u}})
    inputs.push_back({"claims " + std::to_string(w) + "x" + std::to_string(h),
                      jpeg_claiming(valid, w, h), true});
  const int refused = replay(inputs, "photo.jpg", [](const std::string& p) {
    // A flip in a quantisation table or a pixel leaves a well-formed photo.
    const cv::Mat m = read_photo(p);
    EXPECT_EQ(m.type(), CV_8UC3);
    EXPECT_GT(m.total(), 0u);
  });
  EXPECT_GE(refused, 44);
}

TEST_F(CorruptInputs, PngPhotos) {
  const std::string valid = photo_bytes(".png", 96, 64);
  std::vector<Damaged> inputs = corpus(valid, valid.size(), 40, 6);
  using tessera::testing::png_claiming;
  for (auto [w, h] : {std::pair{100000u, 100000u}, {0xFFFFFFFFu, 1u}, {0u, 64u}, {96u, 65536u}})
    inputs.push_back(
        {"claims " + std::to_string(w) + "x" + std::to_string(h), png_claiming(valid, w, h), true});
  const int refused = replay(inputs, "photo.png", [](const std::string& p) {
    // A flip in a quantisation table or a pixel leaves a well-formed photo.
    const cv::Mat m = read_photo(p);
    EXPECT_EQ(m.type(), CV_8UC3);
    EXPECT_GT(m.total(), 0u);
  });
  EXPECT_GE(refused, 44);
}

}  // namespace
}  // namespace tessera::ecology
