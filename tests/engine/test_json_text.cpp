// The one JSON reader: limits on depth and size, errors that name the source.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "error_of.hpp"
#include "temp_dir.hpp"
#include "tessera/io/json_text.hpp"

namespace tessera {
namespace {

using testing::error_of;
using JsonFile = testing::TempDirTest;

TEST(JsonText, ParsesWhatItIsGiven) {
  const auto j = parse_json(R"({"a": [1, 2, {"b": "c"}]})", "x.json");
  EXPECT_EQ(j["a"][2]["b"], "c");
}

TEST(JsonText, RefusesDeepNestingWithoutCrashing) {
  const std::string deep = std::string(200000, '[') + std::string(200000, ']');
  const std::string e = error_of([&] { parse_json(deep, "deep.json"); });
  EXPECT_HAS(e, "deep.json: not valid JSON: nested more than 128 levels deep");
  // Exactly at the limit is still read.
  const std::string ok = std::string(128, '[') + std::string(128, ']');
  EXPECT_NO_THROW(parse_json(ok, "ok.json"));
  const std::string over = std::string(129, '[') + std::string(129, ']');
  EXPECT_THROW(parse_json(over, "over.json"), std::runtime_error);
}

TEST(JsonText, RefusesTextOverTheSizeLimit) {
  const std::string e = error_of([] { parse_json("[1, 2, 3]", "big.json", {.max_bytes = 4}); });
  EXPECT_HAS(e, "big.json: JSON of 9 bytes is larger than the limit of 4");
}

TEST_F(JsonFile, NamesTheFileOnErrors) {
  const std::string path = this->path("bad.json");
  std::ofstream(path) << "{\"a\": ";
  EXPECT_HAS(error_of([&] { read_json_file(path); }), path + ": not valid JSON");
  EXPECT_HAS(error_of([&] { read_json_file(this->path("none.json")); }), "none.json: no such file");
  std::ofstream(path) << "{\"a\": 1}";
  EXPECT_EQ(read_json_file(path)["a"], 1);
}

}  // namespace
}  // namespace tessera
