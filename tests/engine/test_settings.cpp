#include "tessera/io/settings.hpp"

#include <gtest/gtest.h>

#include "error_of.hpp"

using namespace tessera;
using nlohmann::json;
using tessera::testing::error_of;

namespace {
const json kConfig = json::parse(R"({
  "mode": "simulation",
  "model": {"hidden": 16, "lr": 0.01, "names": "q"},
  "inputs": [{"csv": "a.csv"}, {"csv": 3}],
  "nothing": null
})");
}  // namespace

TEST(Settings, ReadsValuesAndKeepsDefaults) {
  const Settings s(kConfig, "config run.yaml");
  EXPECT_EQ(s.get("mode", "forecasting"), "simulation");
  EXPECT_EQ(s.get<int>("epochs", 7), 7);
  EXPECT_EQ(s.get<int>("nothing", 3), 3);  // null reads as absent
  const Settings m = s.child("model");
  EXPECT_EQ(m.require<int64_t>("hidden"), 16);
  double lr = 1;
  m.read("lr", lr);
  EXPECT_DOUBLE_EQ(lr, 0.01);
  EXPECT_EQ(m.names("names"), std::vector<std::string>{"q"});
  EXPECT_TRUE(s.child("periods").json().empty());  // absent: an empty mapping
  EXPECT_EQ(s.size("inputs"), 2u);
}

TEST(Settings, ErrorsNameTheKeyPath) {
  const Settings s(kConfig, "config run.yaml");
  EXPECT_EQ(error_of([&] { s.child("model").require<int>("epochs"); }),
            "config run.yaml: model.epochs: missing");
  EXPECT_EQ(error_of([&] { (void)s.get<int>("mode", 0); }),
            "config run.yaml: mode: has the wrong type: \"simulation\"");
  EXPECT_EQ(error_of([&] { s.element("inputs", 1).require<std::string>("csv"); }),
            "config run.yaml: inputs[1].csv: has the wrong type: 3");
  EXPECT_EQ(error_of([&] {
              s.child("model").only({"hidden", "lr"});
            }),
            "config run.yaml: model.names: unknown setting; known: hidden, lr");
  EXPECT_EQ(error_of([&] { s.child("mode"); }),
            "config run.yaml: mode: must be a mapping of settings, not \"simulation\"");
  EXPECT_EQ(error_of([&] { s.element("inputs", 2); }), "config run.yaml: inputs: has no element 2");
  EXPECT_EQ(error_of([&] { Settings(json::object(), "").fail("", "empty"); }), "empty");
}
