// Delft-FEWS PI-XML time series: what is written reads back (times, values, missing values,
// several series, header fields, time zones), the document's root, namespace and header are as
// pi_timeseries.xsd has them, a file with its own missVal reads as NaN, and malformed files and
// series are refused with one-line errors.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "tessera/formats/calendar.hpp"
#include "tessera/hydrology/pi_xml.hpp"

namespace tessera::hydrology {
namespace {

namespace fs = std::filesystem;

// 2005-06-01 00:00 UTC in Unix seconds.
const int64_t kIssue = formats::parse_date("2005-06-01") * 86400;

class PiXml : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("tessera_pi_xml_" +
            std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string file(const std::string& name, const std::string& text = "") const {
    const std::string path = (dir_ / name).string();
    if (!text.empty()) std::ofstream(path) << text;
    return path;
  }
  fs::path dir_;
};

std::vector<PiSeries> forecast() {
  PiSeries mean{
      .location = "salmon", .parameter = "Q.fcst", .units = "m3/s", .forecast_time = kIssue};
  mean.events = {
      {kIssue + 86400, 12.25}, {kIssue + 2 * 86400, 0.1 + 0.2}, {kIssue + 3 * 86400, NAN}};
  PiSeries q90 = mean;
  q90.qualifier = pi_quantile_qualifier(0.9);
  q90.events = {{kIssue + 86400, 20.5}, {kIssue + 2 * 86400, 1e-7}, {kIssue + 3 * 86400, 3e5}};
  PiSeries member = mean;
  member.ensemble_id = "seeds", member.ensemble_member = 2, member.step_seconds = 3600;
  member.type = "accumulative";
  member.forecast_time.reset();
  member.events = {{kIssue + 3600, 1}, {kIssue + 3 * 3600, 2}};  // a gap of one step
  return {mean, q90, member};
}

void expect_same(const PiSeries& a, const PiSeries& b) {
  EXPECT_EQ(a.location, b.location);
  EXPECT_EQ(a.parameter, b.parameter);
  EXPECT_EQ(a.units, b.units);
  EXPECT_EQ(a.qualifier, b.qualifier);
  EXPECT_EQ(a.type, b.type);
  EXPECT_EQ(a.step_seconds, b.step_seconds);
  EXPECT_EQ(a.forecast_time, b.forecast_time);
  EXPECT_EQ(a.ensemble_member, b.ensemble_member);
  EXPECT_EQ(a.ensemble_id, b.ensemble_id);
  ASSERT_EQ(a.events.size(), b.events.size());
  for (size_t i = 0; i < a.events.size(); ++i) {
    EXPECT_EQ(a.events[i].first, b.events[i].first) << i;
    if (std::isnan(a.events[i].second))
      EXPECT_TRUE(std::isnan(b.events[i].second)) << i;
    else
      EXPECT_EQ(a.events[i].second, b.events[i].second) << i;  // bit for bit
  }
}

TEST_F(PiXml, WhatIsWrittenReadsBack) {
  const std::vector<PiSeries> s = forecast();
  for (double zone : {0.0, 1.0, -5.5}) {
    const std::string path = file("forecast.xml");
    write_pi_timeseries(path, s, zone);
    const std::vector<PiSeries> back = read_pi_timeseries(path);
    ASSERT_EQ(back.size(), 3u);
    for (size_t i = 0; i < 3; ++i) expect_same(s[i], back[i]);
  }
}

TEST_F(PiXml, DocumentHasTheSchemasRootNamespaceAndHeader) {
  const std::string xml = pi_timeseries_xml({forecast()[1]}, 1.0);
  auto has = [&](const std::string& text) {
    EXPECT_NE(xml.find(text), std::string::npos) << "missing: " << text << "\n" << xml;
  };
  has("<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
  has("<TimeSeries xmlns=\"http://www.wldelft.nl/fews/PI\" "
      "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
      "xsi:schemaLocation=\"http://www.wldelft.nl/fews/PI "
      "http://fews.wldelft.nl/schemas/version1.0/pi-schemas/pi_timeseries.xsd\" version=\"1.4\">");
  has("<timeZone>1.0</timeZone>");
  // The header's elements in the schema's order; dates in the document's zone (GMT+1).
  has("<header>\n"
      "      <type>instantaneous</type>\n"
      "      <locationId>salmon</locationId>\n"
      "      <parameterId>Q.fcst</parameterId>\n"
      "      <qualifierId>q0.90</qualifierId>\n"
      "      <timeStep unit=\"second\" multiplier=\"86400\"/>\n"
      "      <startDate date=\"2005-06-02\" time=\"01:00:00\"/>\n"
      "      <endDate date=\"2005-06-04\" time=\"01:00:00\"/>\n"
      "      <forecastDate date=\"2005-06-01\" time=\"01:00:00\"/>\n"
      "      <missVal>NaN</missVal>\n"
      "      <units>m3/s</units>\n"
      "    </header>");
  has("<event date=\"2005-06-03\" time=\"01:00:00\" value=\"1e-07\" flag=\"0\"/>");
  has("<event date=\"2005-06-04\" time=\"01:00:00\" value=\"300000\" flag=\"0\"/>");
  const std::string missing = pi_timeseries_xml({forecast()[0]});
  EXPECT_NE(missing.find("value=\"NaN\" flag=\"9\""), std::string::npos) << missing;
  EXPECT_NE(missing.find("value=\"0.30000000000000004\""), std::string::npos) << missing;
  const std::string member = pi_timeseries_xml({forecast()[2]});
  EXPECT_NE(member.find("<ensembleId>seeds</ensembleId>\n      <ensembleMemberIndex>2<"),
            std::string::npos)
      << member;
  // Text is escaped by libxml2, not pasted.
  PiSeries odd = forecast()[0];
  odd.location = "A&B <dam>";
  const std::string escaped = pi_timeseries_xml({odd});
  EXPECT_NE(escaped.find("<locationId>A&amp;B &lt;dam&gt;</locationId>"), std::string::npos);
}

TEST_F(PiXml, QuantileQualifiers) {
  EXPECT_EQ(pi_quantile_qualifier(0.1), "q0.10");
  EXPECT_EQ(pi_quantile_qualifier(0.05), "q0.05");
  EXPECT_EQ(pi_quantile_qualifier(0.5), "q0.50");
  EXPECT_EQ(pi_quantile_qualifier(0.025), "q0.025");
  EXPECT_EQ(pi_quantile_qualifier(0.00001), "q0.00001");
  EXPECT_THROW(pi_quantile_qualifier(1.0), std::invalid_argument);
}

TEST_F(PiXml, ReadsAFewsFileWithItsOwnMissingValue) {
  const std::string path = file("fews.xml", R"(<?xml version="1.0" encoding="UTF-8"?>
<TimeSeries xmlns="http://www.wldelft.nl/fews/PI" version="1.9">
  <timeZone>-5.0</timeZone>
  <series>
    <header>
      <type>instantaneous</type>
      <locationId>DKKC2</locationId>
      <parameterId>QINE</parameterId>
      <timeStep unit="hour" multiplier="6"/>
      <startDate date="2016-01-04" time="18:00:00"/>
      <endDate date="2016-01-05" time="06:00:00"/>
      <missVal>-999.0</missVal>
      <stationName>DKKC2: DRAKE CO</stationName>
      <units>CFS</units>
    </header>
    <event date="2016-01-04" time="18:00:00" value="9.60559" flag="2"/>
    <event date="2016-01-05" time="00:00:00" value="-999.0"/>
    <event date="2016-01-05" time="06:00:00" value="9.358386" flag="9"/>
  </series>
</TimeSeries>
)");
  const std::vector<PiSeries> s = read_pi_timeseries(path);
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].location, "DKKC2");
  EXPECT_EQ(s[0].units, "CFS");
  EXPECT_EQ(s[0].step_seconds, 6 * 3600);
  EXPECT_FALSE(s[0].forecast_time.has_value());
  ASSERT_EQ(s[0].events.size(), 3u);
  // 18:00 at GMT-5 is 23:00 GMT.
  EXPECT_EQ(s[0].events[0].first, formats::parse_date("2016-01-04") * 86400 + 23 * 3600);
  EXPECT_EQ(s[0].events[0].second, 9.60559);
  EXPECT_TRUE(std::isnan(s[0].events[1].second));  // missVal
  EXPECT_TRUE(std::isnan(s[0].events[2].second));  // flag 9: missing
}

// The message of the runtime_error that reading `text` throws.
std::string read_error(const std::string& path) {
  try {
    read_pi_timeseries(path);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST_F(PiXml, MalformedFilesAreRefusedWithOneLineErrors) {
  const std::string head = R"(<TimeSeries xmlns="http://www.wldelft.nl/fews/PI"><series>)";
  const std::string header = R"(<header><type>instantaneous</type><locationId>a</locationId>
    <parameterId>Q</parameterId><timeStep unit="second" multiplier="86400"/></header>)";
  const struct {
    std::string name, text, expected;
  } cases[] = {
      {"truncated.xml", head + header + "<event date=\"2005-06-01\"", "not well-formed XML"},
      {"other.xml", "<html><body/></html>", "not a Delft-FEWS PI time series document"},
      {"no_ns.xml", "<TimeSeries><series/></TimeSeries>", "not a Delft-FEWS PI"},
      {"no_header.xml", head + "</series></TimeSeries>", "<series> has no <header>"},
      {"no_location.xml",
       head + "<header><type>instantaneous</type></header></series></TimeSeries>",
       "has no <locationId>"},
      {"no_value.xml",
       head + header + "\n<event date=\"2005-06-01\" time=\"00:00:00\"/></series></TimeSeries>",
       "line 3: <event> has no 'value' attribute"},
      {"bad_value.xml",
       head + header +
           "<event date=\"2005-06-01\" time=\"00:00:00\" value=\"12,5\"/></series></TimeSeries>",
       "value '12,5' is not a number"},
      {"bad_date.xml",
       head + header +
           "<event date=\"2005-02-30\" time=\"00:00:00\" value=\"1\"/></series></TimeSeries>",
       "2005-02-30"},
      {"bad_time.xml",
       head + header +
           "<event date=\"2005-06-01\" time=\"25:00:00\" value=\"1\"/></series></TimeSeries>",
       "time '25:00:00' is not hh:mm:ss"},
      {"bad_step.xml",
       head +
           R"(<header><type>instantaneous</type><locationId>a</locationId>
    <parameterId>Q</parameterId><timeStep unit="fortnight"/></header></series></TimeSeries>)",
       "timeStep unit 'fortnight'"},
  };
  for (const auto& c : cases) {
    const std::string message = read_error(file(c.name, c.text));
    EXPECT_NE(message.find(c.expected), std::string::npos) << c.name << ": " << message;
    EXPECT_NE(message.find(c.name), std::string::npos) << message;  // names the file
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;    // one line
  }
  EXPECT_NE(read_error(file("absent.xml")).find("cannot open"), std::string::npos);
}

TEST_F(PiXml, SeriesThatCannotBeWrittenAreRefusedAndNothingIsLeft) {
  auto refused = [&](PiSeries s, const std::string& expected) {
    const std::string path = file("refused.xml");
    try {
      write_pi_timeseries(path, {s});
      ADD_FAILURE() << "written: " << expected;
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find(expected), std::string::npos) << e.what();
    }
    EXPECT_FALSE(fs::exists(path));
  };
  const PiSeries good = forecast()[0];
  PiSeries s = good;
  s.location.clear();
  refused(s, "no location");
  s = good, s.events.clear();
  refused(s, "no events");
  s = good, std::swap(s.events[0], s.events[1]);
  refused(s, "event times must increase");
  s = good, s.events[1].first += 3600;
  refused(s, "off the 86400 s time step");
  s = good, s.events[0].second = INFINITY;
  refused(s, "infinite");
  s = good, s.type = "mean";
  refused(s, "type 'mean'");
  s = good, s.parameter = "Q\x01";
  refused(s, "control character");
  s = good, s.units = "\xff\xfe";
  refused(s, "not UTF-8");
  EXPECT_THROW(pi_timeseries_xml({good}, 20), std::invalid_argument);
  EXPECT_THROW(pi_timeseries_xml({}), std::invalid_argument);
}

}  // namespace
}  // namespace tessera::hydrology
