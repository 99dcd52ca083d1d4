// Merging and slicing daily series, and unit conversions against hand-computed factors (the
// calendar's tests are in tests/formats/test_calendar.cpp).
#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>

#include "tessera/hydrology/series.hpp"
#include "tessera/hydrology/units.hpp"

namespace tessera::hydrology {
namespace {

TimeSeries series(Day first, std::vector<double> values, const std::string& name) {
  TimeSeries s{first, int64_t(values.size()), {}};
  s.variables[name] = {std::move(values), "mm/day"};
  return s;
}

TEST(Series, MergeTakesTheUnionOfDays) {
  TimeSeries a = series(10, {1, 2, 3}, "p");  // days 10..12
  merge_into(a, series(8, {7, 8, 9}, "q"));   // days 8..10
  EXPECT_EQ(a.first, 8);
  EXPECT_EQ(a.length, 5);
  EXPECT_EQ(a.last(), 12);
  const std::vector<double>& p = a.at("p");
  const std::vector<double>& q = a.at("q");
  EXPECT_TRUE(std::isnan(p[0]) && std::isnan(p[1]));
  EXPECT_EQ(p[2], 1);
  EXPECT_EQ(p[4], 3);
  EXPECT_EQ(q[0], 7);
  EXPECT_EQ(q[2], 9);
  EXPECT_TRUE(std::isnan(q[3]) && std::isnan(q[4]));
  EXPECT_EQ(a.variable("q").units, "mm/day");
  EXPECT_THROW(merge_into(a, series(0, {1}, "p")), std::invalid_argument);
}

TEST(Series, MergeIntoAnEmptySeriesCopies) {
  TimeSeries a;
  merge_into(a, series(100, {1, 2}, "p"));
  EXPECT_EQ(a.first, 100);
  EXPECT_EQ(a.length, 2);
  EXPECT_EQ(a.at("p"), (std::vector<double>{1, 2}));
  merge_into(a, TimeSeries{});  // nothing to add
  EXPECT_EQ(a.length, 2);
}

TEST(Series, SliceFillsOutsideWithNaN) {
  const TimeSeries s = series(10, {1, 2, 3, 4}, "p");  // days 10..13
  const TimeSeries inner = slice(s, 11, 12);
  EXPECT_EQ(inner.first, 11);
  EXPECT_EQ(inner.at("p"), (std::vector<double>{2, 3}));
  const TimeSeries wide = slice(s, 8, 14);
  ASSERT_EQ(wide.length, 7);
  EXPECT_TRUE(std::isnan(wide.at("p")[0]) && std::isnan(wide.at("p")[1]));
  EXPECT_EQ(wide.at("p")[2], 1);
  EXPECT_EQ(wide.at("p")[5], 4);
  EXPECT_TRUE(std::isnan(wide.at("p")[6]));
  const TimeSeries outside = slice(s, 20, 21);
  EXPECT_TRUE(std::isnan(outside.at("p")[0]) && std::isnan(outside.at("p")[1]));
  EXPECT_THROW(slice(s, 12, 11), std::invalid_argument);
}

TEST(Series, UnknownVariableNamesThoseThereAre) {
  const TimeSeries s = series(0, {1}, "rain");
  try {
    s.at("snow");
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("snow"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("rain"), std::string::npos);
  }
}

TEST(Units, DischargeToDepthOverTheBasin) {
  // 1 m3/s for a day is 86400 m3; over 100 km2 (1e8 m2) that is 0.864 mm.
  EXPECT_NEAR(unit_conversion("m3/s", "mm/day", 100).scale, 0.864, 1e-12);
  EXPECT_NEAR(unit_conversion("m**3 s**-1", "mm/day", 100).scale, 0.864, 1e-12);
  EXPECT_NEAR(unit_conversion("m3 s-1", "mm d-1", 100).scale, 0.864, 1e-12);
  // 255 cfs over 573.6 km2: 255 * 0.028316846592 m3/s = 7.22079588096 m3/s
  // -> 7.22079588096 * 86400 / 573.6e6 m = 1.08765126240 mm/day.
  EXPECT_NEAR(255 * unit_conversion("cfs", "mm/day", 573.6).scale, 1.0876512624, 1e-9);
  EXPECT_NEAR(unit_conversion("ft3/s", "m3/s").scale, 0.028316846592, 1e-15);
  EXPECT_NEAR(unit_conversion("l/s", "mm/day", 1).scale, 0.0864, 1e-12);
  EXPECT_NEAR(unit_conversion("mm/day", "m3/s", 100).scale, 1 / 0.864, 1e-12);
  EXPECT_EQ(unit_conversion("mm/day", "mm/day").offset, 0);
}

TEST(Units, FluxesAndTemperatures) {
  EXPECT_NEAR(unit_conversion("kg m-2 s-1", "mm/day").scale, 86400, 1e-9);
  EXPECT_NEAR(unit_conversion("kg m**-2 s**-1", "mm/day").scale, 86400, 1e-9);
  EXPECT_NEAR(unit_conversion("mm/h", "mm/day").scale, 24, 1e-12);
  EXPECT_NEAR(unit_conversion("m/day", "mm/day").scale, 1000, 1e-12);
  const UnitConversion k = unit_conversion("K", "degC");
  EXPECT_NEAR(273.15 * k.scale + k.offset, 0, 1e-12);
  EXPECT_NEAR(300 * k.scale + k.offset, 26.85, 1e-12);
  const UnitConversion f = unit_conversion("degF", "degC");
  EXPECT_NEAR(212 * f.scale + f.offset, 100, 1e-12);
  EXPECT_NEAR(-40 * f.scale + f.offset, -40, 1e-12);
  const UnitConversion back = unit_conversion("degC", "K");
  EXPECT_NEAR(-273.15 * back.scale + back.offset, 0, 1e-12);
  EXPECT_NEAR(unit_conversion("C", "degC").scale, 1, 0);
}

TEST(Units, UnknownOrIncompatibleUnitsAreRefused) {
  EXPECT_THROW(unit_conversion("furlongs/fortnight", "mm/day"), std::invalid_argument);
  EXPECT_THROW(unit_conversion("K", "mm/day"), std::invalid_argument);
  EXPECT_THROW(unit_conversion("m3/s", "mm/day"), std::invalid_argument);  // no area
  EXPECT_THROW(unit_conversion("m3/s", "mm/day", -5), std::invalid_argument);
  try {
    unit_conversion("furlongs/fortnight", "mm/day");
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("furlongs/fortnight"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("mm/day"), std::string::npos);
  }
}

TEST(Units, ConvertKeepsMissingValues) {
  Variable v{{1, NAN, 2}, "kg m-2 s-1"};
  convert_units(v, "mm/day");
  EXPECT_EQ(v.units, "mm/day");
  EXPECT_NEAR(v.values[0], 86400, 1e-9);
  EXPECT_TRUE(std::isnan(v.values[1]));
  EXPECT_NEAR(v.values[2], 172800, 1e-9);
  Variable unknown{{1}, ""};
  EXPECT_THROW(convert_units(unknown, "mm/day"), std::invalid_argument);
}

}  // namespace
}  // namespace tessera::hydrology
