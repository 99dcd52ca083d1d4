// Values that cannot be what their unit says are refused with the unit they look like: kelvin
// read as degC (GR4J then melts snow at 273 degrees), metres read as millimetres, litres per
// second stated as m3/s; a missing-value marker nobody declared is named too.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <functional>

#include "error_of.hpp"
#include "temp_dir.hpp"
#include "tessera/hydrology/config.hpp"
#include "tessera/hydrology/units.hpp"

namespace tessera::hydrology {
namespace {

using tessera::testing::error_of;

// Two years of plausible weather and discharge over a 1000 km2 basin: rain about 2.6 mm/day,
// temperatures around 8 degC, PET about 1.8 mm/day, discharge about 1 mm/day (11.6 m3/s).
struct Day2 {
  double rain, tmin, tmax, pet, q_m3s;
};
std::vector<Day2> weather() {
  std::vector<Day2> days;
  for (int d = 0; d < 730; ++d) {
    const double season = std::sin(2 * M_PI * d / 365.25);
    days.push_back({d % 5 == 0 ? 13.0 : 0.0, 2 + 10 * season, 12 + 10 * season, 1.8 + 1.5 * season,
                    11.6 + 5 * season});
  }
  return days;
}

class PlausibleUnits : public tessera::testing::TempDirTest {
 protected:
  // The series written with each column passed through `change`, and a config stating `units`.
  std::string config(
      const std::string& units, const std::function<void(Day2&)>& change = [](Day2&) {}) {
    std::ofstream csv(path("s.csv"));
    csv << "date,rain,tmin,tmax,pet,q\n";
    Day day = parse_date("2000-01-01");
    for (Day2 w : weather()) {
      change(w);
      csv << format_date(day++) << "," << w.rain << "," << w.tmin << "," << w.tmax << "," << w.pet
          << "," << w.q_m3s << "\n";
    }
    std::ofstream(path("c.yaml"))
        << "inputs:\n  - csv: s.csv\n    units: {" << units << "}\n"
        << "basin_area_km2: 1000\ndischarge: q\nforcings: [rain, tmin, tmax, pet]\n"
        << "gr4j: {precipitation: [rain], evaporation: pet, temperature: [tmin, tmax]}\n"
        << "periods:\n  train: [2000-01-01, 2000-12-31]\n"
        << "  validation: [2001-01-01, 2001-06-30]\n  test: [2001-07-01, 2001-12-29]\n";
    return path("c.yaml");
  }
  std::string error_loading(const std::string& units, const std::function<void(Day2&)>& change) {
    return error_of([&] { load_inputs(read_config(config(units, change))); });
  }
};

const std::function<void(Day2&)> kelvin = [](Day2& w) { w.tmin += 273.15, w.tmax += 273.15; };

TEST_F(PlausibleUnits, PlausibleSeriesLoad) {
  EXPECT_EQ(load_inputs(read_config(config("q: m3/s"))).length, 730);
  EXPECT_EQ(load_inputs(read_config(config("q: m3/s, tmin: K, tmax: K", kelvin))).length, 730);
}

TEST_F(PlausibleUnits, KelvinWithoutUnitsIsNamed) {
  const std::string e = error_loading("q: m3/s", kelvin);
  EXPECT_HAS(e, "c.yaml: gr4j temperature 'tmin' (no units stated, read as degC) has values");
  EXPECT_HAS(e, "look like kelvin (K)");
  EXPECT_HAS(e, "units: {tmin: K}");
  EXPECT_EQ(e.find('\n'), std::string::npos);
  // Stated wrongly, the same.
  EXPECT_HAS(error_loading("q: m3/s, tmin: degC, tmax: degC", kelvin), "(stated in degC)");
  EXPECT_HAS(error_loading("q: m3/s, tmin: K, tmax: K", [](Day2&) {}), "look like degrees Celsius");
  EXPECT_HAS(error_loading("q: m3/s", [](Day2& w) { w.tmax = w.tmax * 1.8 + 32; }),
             "'tmax' (no units stated, read as degC) has values");
}

TEST_F(PlausibleUnits, MetresAndLitresAreNamed) {
  const std::string rain = error_loading("q: m3/s", [](Day2& w) { w.rain /= 1000; });
  EXPECT_HAS(rain, "gr4j precipitation 'rain'");
  EXPECT_HAS(rain, "look like metres per day (m/day)");
  EXPECT_HAS(error_loading("q: m3/s, pet: mm/day", [](Day2& w) { w.pet /= 1000; }),
             "gr4j evaporation 'pet' (stated in mm/day)");
  const std::string litres = error_loading("q: m3/s", [](Day2& w) { w.q_m3s *= 1000; });
  EXPECT_HAS(litres, "discharge 'q' (stated in m3/s)");
  EXPECT_HAS(litres, "look like litres per second (l/s)");
  // Cubic feet stated as m3/s: 35 times more running off than falls.
  EXPECT_HAS(error_loading("q: m3/s", [](Day2& w) { w.q_m3s /= 0.028316846592; }),
             "look like cubic feet per second (ft3/s)");
}

TEST_F(PlausibleUnits, AnUndeclaredMissingMarkerIsNamedWithItsDay) {
  const std::string e = error_loading("q: m3/s", [](Day2& w) {
    if (w.tmin > 11.9) w.tmin = -999;
  });
  EXPECT_HAS(e, "'tmin'");
  EXPECT_HAS(e, "-999 (2000-");
  EXPECT_HAS(e, "missing_values");
  EXPECT_HAS(error_loading("q: m3/s", [](Day2& w) { w.rain = w.rain > 0 ? w.rain : -9999; }),
             "'rain'");
}

TEST(Plausibility, UnitsOfTheMeasureAreTried) {
  const Day first = parse_date("2000-01-01");
  std::vector<double> kelvins(400);
  for (size_t i = 0; i < kelvins.size(); ++i) kelvins[i] = 280 + 10 * std::sin(double(i) / 58);
  EXPECT_NO_THROW(
      require_plausible({kelvins, "K"}, first, kDaily, Measure::temperature, "t", "degC"));
  EXPECT_HAS(error_of([&] {
               require_plausible({kelvins, ""}, first, kDaily, Measure::temperature, "t", "degC");
             }),
             "kelvin");
  // Fewer than a year of values: only the daily bounds are judged (a dry season is not an error).
  const std::vector<double> dry(100, 0.01);
  EXPECT_NO_THROW(
      require_plausible({dry, "mm/day"}, first, kDaily, Measure::precipitation, "p", ""));
  std::vector<double> kg(400, 0);
  for (size_t i = 0; i < kg.size(); i += 4) kg[i] = 1e-4;  // 8.6 mm on every 4th day
  EXPECT_HAS(error_of([&] {
               require_plausible({kg, "mm/day"}, first, kDaily, Measure::precipitation, "p", "");
             }),
             "kg m-2 s-1");
  // Unknown units are left to the conversion to report.
  EXPECT_NO_THROW(
      require_plausible({kelvins, "W m-2"}, first, kDaily, Measure::temperature, "t", "degC"));
}

}  // namespace
}  // namespace tessera::hydrology
