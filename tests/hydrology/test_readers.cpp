// Series readers: CSV tables written here, NetCDF files written here with the netCDF C API, and
// the real CAMELS-US and Salmon River samples in ../shared/data (skipped when absent).
#include <gtest/gtest.h>
#include <netcdf.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "error_of.hpp"
#include "temp_dir.hpp"
#include "tessera/hydrology/basin_attributes.hpp"
#include "tessera/hydrology/readers.hpp"

namespace tessera::hydrology {
namespace {

using tessera::testing::TempDirTest;

using tessera::testing::error_of;

class Csv : public TempDirTest {
 protected:
  std::string write(const std::string& name, const std::string& text) {
    std::ofstream(path(name)) << text;
    return path(name);
  }
};

TEST_F(Csv, BasinAttributesByIdAndColumn) {
  const std::string p = write("attributes.csv", "gauge_id,area,aridity\n0042,12.5,0.8\n7,3,x\n");
  EXPECT_DOUBLE_EQ(table_attribute(p, "gauge_id", "0042", "aridity"), 0.8);
  EXPECT_HAS(error_of([&] { table_attribute(p, "gauge_id", "42", "area"); }), "no basin '42'");
  EXPECT_HAS(error_of([&] { table_attribute(p, "gauge_id", "0042", "slope"); }),
             "no attribute column 'slope'");
  EXPECT_HAS(error_of([&] { table_attribute(p, "id", "0042", "area"); }), "no 'id' column");
  EXPECT_HAS(error_of([&] { table_attribute(p, "gauge_id", "7", "aridity"); }), "is not a number");
}

TEST_F(Csv, CommaWithIsoDates) {
  const std::string f = write("a.csv", "date,rain,temp\n2000-01-01,1.5,-2\n2000-01-02,0,3.25\n");
  const TimeSeries s = read_csv_series(f);
  EXPECT_EQ(s.first, parse_date("2000-01-01"));
  EXPECT_EQ(s.length, 2);
  EXPECT_EQ(s.at("rain"), (std::vector<double>{1.5, 0}));
  EXPECT_EQ(s.at("temp"), (std::vector<double>{-2, 3.25}));
  EXPECT_EQ(s.variables.size(), 2u);
}

TEST_F(Csv, SemicolonYearMonthDayMappingAndUnits) {
  const std::string f = write("b.txt",
                              "year; month; day; P (mm); Q\r\n"
                              "1999;12;31;4;10\r\n"
                              "2000;1;1;5;11\r\n");
  CsvMapping m{.date_column = "",
               .columns = {{"precip", "P (mm)"}, {"flow", "Q"}},
               .units = {{"precip", "mm/day"}, {"flow", "m3/s"}}};
  const TimeSeries s = read_csv_series(f, m);
  EXPECT_EQ(s.first, parse_date("1999-12-31"));
  EXPECT_EQ(s.at("precip"), (std::vector<double>{4, 5}));
  EXPECT_EQ(s.at("flow"), (std::vector<double>{10, 11}));
  EXPECT_EQ(s.variable("flow").units, "m3/s");
  EXPECT_FALSE(s.has("year"));
}

TEST_F(Csv, TabsAndFallbackToYearMonthDay) {
  const std::string f = write("c.tsv", "year\tmonth\tday\tq\n2001\t3\t1\t2.5\n");
  const TimeSeries s = read_csv_series(f);  // no "date" column: the y/m/d columns date rows
  EXPECT_EQ(s.first, parse_date("2001-03-01"));
  EXPECT_EQ(s.at("q"), (std::vector<double>{2.5}));
}

TEST_F(Csv, MissingMarkersBecomeNaN) {
  const std::string f = write("d.csv",
                              "date,q\n2000-01-01,-999\n2000-01-02,\n2000-01-03,NA\n"
                              "2000-01-04,NaN\n2000-01-05,\"7\"\n2000-01-06,-999.0\n");
  CsvMapping m;
  m.missing_values = {-999};
  const std::vector<double> q = read_csv_series(f, m).at("q");
  ASSERT_EQ(q.size(), 6u);
  for (int i : {0, 1, 2, 3, 5}) EXPECT_TRUE(std::isnan(q[size_t(i)])) << i;
  EXPECT_EQ(q[4], 7);
  EXPECT_EQ(read_csv_series(f).at("q")[0], -999);  // not a marker unless asked
}

TEST_F(Csv, DateGapsBecomeNaNDays) {
  const std::string f = write("e.csv", "date,q\n2000-02-27,1\n2000-03-01,4\n2000-03-02,5\n");
  const TimeSeries s = read_csv_series(f);
  ASSERT_EQ(s.length, 5);  // 27, 28, 29 Feb (leap year), 1 and 2 March
  EXPECT_EQ(s.at("q")[0], 1);
  EXPECT_TRUE(std::isnan(s.at("q")[1]) && std::isnan(s.at("q")[2]));
  EXPECT_EQ(s.at("q")[3], 4);
  EXPECT_EQ(s.last(), parse_date("2000-03-02"));
}

TEST_F(Csv, DuplicateAndUnorderedDatesAreRefused) {
  const std::string dup = write("f.csv", "date,q\n2000-01-01,1\n2000-01-02,2\n2000-01-02,3\n");
  const std::string e = error_of([&] { read_csv_series(dup); });
  EXPECT_HAS(e, dup);
  EXPECT_HAS(e, "duplicate date 2000-01-02");
  EXPECT_HAS(e, "line 3 and line 4");
  const std::string back = write("g.csv", "date,q\n2000-01-02,1\n2000-01-01,2\n");
  EXPECT_HAS(error_of([&] { read_csv_series(back); }), "out of order");
  const std::string monthly =
      write("h.csv", "date,q\n2000-01-01,1\n2000-02-01,2\n2000-03-01,3\n2000-04-01,3\n");
  EXPECT_HAS(error_of([&] { read_csv_series(monthly); }), "not daily");
}

TEST_F(Csv, BadCellsAndColumnsAreNamed) {
  const std::string bad = write("i.csv", "date,q\n2000-01-01,1\n2000-01-02,1.2.3\n");
  const std::string e = error_of([&] { read_csv_series(bad); });
  EXPECT_HAS(e, bad + ":3: column 'q': '1.2.3' is not a number");
  const std::string date = write("j.csv", "date,q\n2000-02-30,1\n");
  EXPECT_HAS(error_of([&] { read_csv_series(date); }), date + ":2: no such day: '2000-02-30'");
  const std::string ok = write("k.csv", "date,q\n2000-01-01,1\n");
  CsvMapping m{.columns = {{"flow", "discharge"}}};
  const std::string missing = error_of([&] { read_csv_series(ok, m); });
  EXPECT_HAS(missing, "'discharge'");
  EXPECT_HAS(missing, "date, q");  // the columns there are
  const std::string short_row = write("l.csv", "date,q,p\n2000-01-01,1\n");
  EXPECT_HAS(error_of([&] { read_csv_series(short_row); }),
             short_row + ":2: 2 fields, the header has 3");
  const std::string no_dates = write("m.csv", "when,q\n2000-01-01,1\n");
  EXPECT_HAS(error_of([&] { read_csv_series(no_dates); }), "no date column");
  EXPECT_HAS(error_of([&] { read_csv_series(path("absent.csv")); }), "not found");
}

TEST_F(Csv, TheDateColumnIsFoundByItsCommonNames) {
  for (const std::string name : {"Date", "DATE", "time", "datetime", "Timestamp"}) {
    const std::string f = write("d.csv", name + ",q\n2000-01-01,1\n2000-01-02,2\n");
    const TimeSeries s = read_csv_series(f);
    EXPECT_EQ(format_date(s.first), "2000-01-01") << name;
    EXPECT_EQ(s.at("q"), (std::vector<double>{1, 2})) << name;
    EXPECT_FALSE(s.has(name)) << name;
  }
  // Two candidates: the reader will not choose.
  const std::string two = write("two.csv", "Date,time,q\n7,2000-01-01,1\n");
  const std::string e = error_of([&] { read_csv_series(two); });
  EXPECT_HAS(e, "columns 'Date' and 'time' both name the same thing (a date)");
  EXPECT_HAS(e, "date_column");
  EXPECT_EQ(read_csv_series(two, {.date_column = "time"}).variables.size(), 2u);  // Date, q
  // A named date column must be there.
  const std::string when = write("when.csv", "when,q\n2000-01-01,1\n");
  EXPECT_EQ(format_date(read_csv_series(when, {.date_column = "when"}).first), "2000-01-01");
  EXPECT_HAS(error_of([&] { read_csv_series(when, {.date_column = "day_of"}); }),
             "no date column 'day_of'");
  EXPECT_HAS(error_of([&] { read_csv_series(when); }), "name the date column with date_column");
}

TEST_F(Csv, ATableCutShortIsRefused) {
  // The last number lost its last digits, or the last line its value: both still parse.
  const std::string cut = write("cut.csv", "date,q\n2000-01-01,1.250\n2000-01-02,12.3");
  const std::string e = error_of([&] { read_csv_series(cut); });
  EXPECT_HAS(e, cut + ":3: the last line has no line break and its last value ('12.3')");
  EXPECT_HAS(e, "cut short");
  const std::string empty = write("empty.csv", "date,q,p\n2000-01-01,1,2\n2000-01-02,12,");
  EXPECT_HAS(error_of([&] { read_csv_series(empty); }), "cut short");
  // Whole rows read, with or without the last line break.
  const std::string whole = write("whole.csv", "date,q\n2000-01-01,1.250\n2000-01-02,12.375");
  EXPECT_EQ(read_csv_series(whole).at("q").back(), 12.375);
  const std::string ended = write("ended.csv", "date,q\n2000-01-01,1.250\n2000-01-02,12.3\n");
  EXPECT_EQ(read_csv_series(ended).at("q").back(), 12.3);
  // Years beyond the calendar's 1..9999 are not days to lay out.
  const std::string far = write("far.csv",
                                "year,month,day,q\n2000,1,1,1\n2000,1,2,1\n"
                                "900000,1,3,1\n");
  EXPECT_HAS(error_of([&] { read_csv_series(far); }), "no such date");
}

TEST_F(Csv, QuotedFieldsMayHoldTheDelimiter) {
  const std::string f = write("q.csv",
                              "date,\"P (mm, daily)\",note\n"
                              "2000-01-01,\"1.5\",\"dry, windy\"\n"
                              "2000-01-02,2,\n");
  CsvMapping m{.columns = {{"precip", "P (mm, daily)"}}};
  const TimeSeries s = read_csv_series(f, m);
  EXPECT_EQ(s.at("precip"), (std::vector<double>{1.5, 2}));
  EXPECT_EQ(s.variables.size(), 1u);
}

TEST_F(Csv, TwentyThousandLinesParseFast) {
  std::string text = "date,rain,q\n";
  for (Day d = 0; d < 20000; ++d)
    text += format_date(d) + "," + std::to_string(d % 17) + "." + std::to_string(d % 10) + "," +
            std::to_string(d) + "\n";
  const std::string f = write("big.csv", text);
  const auto start = std::chrono::steady_clock::now();
  const TimeSeries s = read_csv_series(f);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(s.length, 20000);
  EXPECT_EQ(s.at("q")[19999], 19999);
  EXPECT_NEAR(s.at("rain")[12345], 12345 % 17 + 0.5, 1e-12);
  EXPECT_LT(seconds, 0.25);
}

// --- CAMELS-US --------------------------------------------------------------------------------

std::string camels_root() {
  return std::string(TESSERA_SHARED_DATA) + "/hydrology/camels_us";
}

#define SKIP_WITHOUT(path) \
  if (!std::filesystem::exists(path)) GTEST_SKIP() << (path) << " is absent"

TEST(Camels, ForcingStreamflowAndArea) {
  SKIP_WITHOUT(camels_root());
  EXPECT_DOUBLE_EQ(camels_basin_area(camels_root(), "01022500"), 573.6);
  const TimeSeries s = read_camels_basin(camels_root(), "01022500");
  EXPECT_EQ(format_date(s.first), "2000-01-01");
  EXPECT_EQ(format_date(s.last()), "2003-12-31");  // forcing to 2003, streamflow to 2002
  EXPECT_EQ(s.at("prcp")[0], 0.0);
  EXPECT_EQ(s.at("tmax")[0], -2.36);
  EXPECT_EQ(s.at("tmin")[0], -14.36);
  EXPECT_EQ(s.at("vp")[0], 202.51);
  EXPECT_EQ(s.variable("prcp").units, "mm/day");
  EXPECT_EQ(s.variable("tmax").units, "C");
  EXPECT_EQ(s.variable("dayl").units, "s");
  EXPECT_EQ(s.at("qobs_cfs")[0], 255);
  // 255 cfs = 7.22079588096 m3/s; * 86400 s / 573.6e6 m2 * 1000 = 1.0876512624 mm/day.
  EXPECT_NEAR(s.at("qobs")[0], 1.0876512624, 1e-9);
  EXPECT_EQ(s.variable("qobs").units, "mm/day");
  const int64_t day_2003 = parse_date("2003-01-01") - s.first;
  EXPECT_TRUE(std::isnan(s.at("qobs")[size_t(day_2003)]));
  EXPECT_FALSE(std::isnan(s.at("qobs")[size_t(day_2003 - 1)]));
  EXPECT_EQ(s.at("qobs_cfs")[size_t(day_2003 - 1)], 466);  // 2002-12-31
}

TEST(Camels, AttributesFromAnyOfItsFiles) {
  SKIP_WITHOUT(camels_root());
  // camels_clim.txt and camels_topo.txt of the extract, row 01022500.
  EXPECT_NEAR(camels_attribute(camels_root(), "01022500", "aridity"), 0.587356423405076, 1e-12);
  EXPECT_DOUBLE_EQ(camels_attribute(camels_root(), "01022500", "elev_mean"), 92.68);
  EXPECT_HAS(error_of([] { camels_attribute(camels_root(), "01022500", "wetness"); }),
             "no CAMELS attribute 'wetness'");
  // A text attribute is not a number.
  EXPECT_HAS(error_of([] { camels_attribute(camels_root(), "01022500", "geol_1st_class"); }),
             "is not a number");
}

TEST(Camels, GaugeIdsKeepTheirLeadingZeros) {
  SKIP_WITHOUT(camels_root());
  EXPECT_DOUBLE_EQ(camels_basin_area(camels_root(), "02064000"), 427.77);
  EXPECT_HAS(error_of([] { camels_basin_area(camels_root(), "2064000"); }), "no basin '2064000'");
  EXPECT_HAS(error_of([] { read_camels_basin(camels_root(), "99999999"); }), "99999999");
  EXPECT_HAS(error_of([] { read_camels_basin(camels_root(), "01022500", "maurer"); }),
             "folder not found");
}

// --- NetCDF -------------------------------------------------------------------------------------

std::string salmon() {
  return std::string(TESSERA_SHARED_DATA) + "/hydrology/salmon_river_08KC001_meteo_daily.nc";
}

TEST(NetcdfSeries, SalmonRiver) {
  SKIP_WITHOUT(salmon());
  const auto start = std::chrono::steady_clock::now();
  const TimeSeries s = read_netcdf_series(salmon());
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_LT(seconds, 0.5);
  EXPECT_EQ(s.length, 20819);
  EXPECT_EQ(format_date(s.first), "1954-01-01");
  EXPECT_EQ(format_date(s.last()), "2010-12-31");
  for (const char* v : {"rain", "snow", "tmin", "tmax", "pet", "qobs"}) EXPECT_TRUE(s.has(v)) << v;
  EXPECT_EQ(s.variables.size(), 6u);
  EXPECT_EQ(s.variable("qobs").units, "m**3 s**-1");
  // Values ncdump shows: index 0 and 10000 (1981-05-19).
  const size_t i = size_t(parse_date("1981-05-19") - s.first);
  EXPECT_EQ(i, 10000u);
  EXPECT_EQ(s.at("qobs")[0], 5.78);
  EXPECT_EQ(s.at("qobs")[i], 87.7);
  EXPECT_EQ(s.at("tmax")[i], 20.680235);
  EXPECT_EQ(s.at("pet")[i], 2.805716);
  EXPECT_EQ(s.at("tmax")[0], -4.024469);
  EXPECT_EQ(s.at("tmax")[20818], -11.091648);
  // ncdump shows no _FillValue (-9999) cell in this file: nothing read is NaN...
  for (const auto& [name, v] : s.variables)
    EXPECT_EQ(
        std::count_if(v.values.begin(), v.values.end(), [](double x) { return std::isnan(x); }), 0)
        << name;
  // ...but Raven marks missing discharge -1.2345: 1697 days (ncdump | grep -c -- -1.2345).
  const std::vector<double>& q = s.at("qobs");
  EXPECT_EQ(std::count(q.begin(), q.end(), -1.2345), 1697);
  const TimeSeries marked = read_netcdf_series(salmon(), {"qobs"}, 0, {-1.2345});
  const std::vector<double>& qm = marked.at("qobs");
  EXPECT_EQ(std::count_if(qm.begin(), qm.end(), [](double x) { return std::isnan(x); }), 1697);
  EXPECT_EQ(marked.variables.size(), 1u);
}

TEST(NetcdfSeries, UnknownVariableListsThoseThereAre) {
  SKIP_WITHOUT(salmon());
  const std::string e = error_of([] { read_netcdf_series(salmon(), {"discharge"}); });
  EXPECT_HAS(e, salmon());
  EXPECT_HAS(e, "'discharge'");
  EXPECT_HAS(e, "rain, snow, tmin, tmax, pet, qobs");
  EXPECT_HAS(error_of([] { read_netcdf_series(salmon(), {"lat"}); }), "no variable 'lat'");
  EXPECT_HAS(error_of([] { read_netcdf_series(salmon(), {"qobs"}, 1); }), "station 1");
}

// A small station file written with the netCDF C API.
class NetcdfFile : public TempDirTest {
 protected:
  struct Spec {
    std::string time_units = "hours since 2000-01-01 00:00:00";
    std::string calendar = "standard";
    std::vector<double> times = {12, 36, 60, 108};  // noon of Jan 1, 2, 3 and 5
  };
  std::string write(const std::string& name, const Spec& spec) {
    const std::string p = path(name);
    int nc = 0, station = 0, time = 0, t = 0, q = 0, rain = 0;
    const size_t n = spec.times.size();
    expect_ok(nc_create(p.c_str(), NC_NETCDF4, &nc));
    expect_ok(nc_def_dim(nc, "station", 2, &station));
    expect_ok(nc_def_dim(nc, "time", NC_UNLIMITED, &time));
    expect_ok(nc_def_var(nc, "time", NC_DOUBLE, 1, &time, &t));
    text(nc, t, "units", spec.time_units);
    text(nc, t, "calendar", spec.calendar);
    const int q_dims[] = {station, time};
    expect_ok(nc_def_var(nc, "q", NC_SHORT, 2, q_dims, &q));  // packed: q = 0.5 * raw + 10
    const short fill = -32000;
    const double scale = 0.5, offset = 10;
    expect_ok(nc_put_att_short(nc, q, "_FillValue", NC_SHORT, 1, &fill));
    expect_ok(nc_put_att_double(nc, q, "scale_factor", NC_DOUBLE, 1, &scale));
    expect_ok(nc_put_att_double(nc, q, "add_offset", NC_DOUBLE, 1, &offset));
    text(nc, q, "units", "m3/s");
    expect_ok(nc_def_var(nc, "rain", NC_FLOAT, 1, &time, &rain));
    const float missing = -1;
    expect_ok(nc_put_att_float(nc, rain, "missing_value", NC_FLOAT, 1, &missing));
    expect_ok(nc_enddef(nc));
    const size_t start[] = {0, 0}, count[] = {2, n};
    const std::vector<short> raw = {0, 2, 4, 6, 100, fill, 102, 104};  // station 1: 2nd missing
    const std::vector<float> r = {1.5f, -1, 0.1f, 3};
    expect_ok(nc_put_vara_double(nc, t, start, &count[1], spec.times.data()));
    expect_ok(nc_put_vara_short(nc, q, start, count, raw.data()));
    expect_ok(nc_put_vara_float(nc, rain, start, &count[1], r.data()));
    expect_ok(nc_close(nc));
    return p;
  }
  static void expect_ok(int status) { ASSERT_EQ(status, NC_NOERR) << nc_strerror(status); }
  static void text(int nc, int var, const char* name, const std::string& value) {
    expect_ok(nc_put_att_text(nc, var, name, value.size(), value.c_str()));
  }
};

TEST_F(NetcdfFile, StationTimeVariableUnpackedWithFillValues) {
  const std::string f = write("s.nc", {});
  const TimeSeries s = read_netcdf_series(f, {}, 1);
  EXPECT_EQ(format_date(s.first), "2000-01-01");
  ASSERT_EQ(s.length, 5);  // 4 steps with 4 January missing
  const std::vector<double>& q = s.at("q");
  EXPECT_EQ(q[0], 60);  // 0.5 * 100 + 10
  EXPECT_TRUE(std::isnan(q[1]));
  EXPECT_EQ(q[2], 61);
  EXPECT_TRUE(std::isnan(q[3]));  // no step on 4 January
  EXPECT_EQ(q[4], 62);
  EXPECT_EQ(s.variable("q").units, "m3/s");
  EXPECT_EQ(read_netcdf_series(f, {"q"}, 0).at("q")[1], 11);  // station 0
  const std::vector<double>& rain = s.at("rain");
  EXPECT_EQ(rain[0], 1.5);
  EXPECT_TRUE(std::isnan(rain[1]));
  EXPECT_NEAR(rain[2], 0.1, 1e-7);
  EXPECT_FALSE(s.has("time"));
  EXPECT_HAS(error_of([&] { read_netcdf_series(f, {}, 2); }), "station 2 is out of range");
}

TEST_F(NetcdfFile, OtherTimeUnitsAndCalendars) {
  Spec days{.time_units = "days since 1999-12-31", .times = {1, 2, 3, 4}};
  EXPECT_EQ(format_date(read_netcdf_series(write("d.nc", days)).first), "2000-01-01");
  Spec seconds{.time_units = "seconds since 2000-01-01T00:00:00Z",
               .calendar = "proleptic_gregorian",
               .times = {86400, 2 * 86400, 3 * 86400, 4 * 86400}};
  EXPECT_EQ(format_date(read_netcdf_series(write("sec.nc", seconds)).first), "2000-01-02");
  Spec noleap{.calendar = "noleap"};
  const std::string e = error_of([&] { read_netcdf_series(write("n.nc", noleap)); });
  EXPECT_HAS(e, "calendar 'noleap' is not supported");
  Spec d360{.calendar = "360_day"};
  EXPECT_HAS(error_of([&] { read_netcdf_series(write("360.nc", d360)); }), "360_day");
  Spec six_hourly{.time_units = "hours since 2000-01-01", .times = {0, 6, 12, 18}};
  const TimeSeries h = read_netcdf_series(write("h.nc", six_hourly));
  EXPECT_EQ(h.step.seconds, 6 * 3600);
  EXPECT_EQ(format_step(h.first, h.step), "2000-01-01 00:00");
  EXPECT_EQ(h.length, 4);
  // Rain without units in the file, stated as a depth per record in the config: 1.5 mm in six
  // hours is 6 mm/day.
  const TimeSeries depths = read_netcdf_series(path("h.nc"), {"rain"}, 0, {}, {{"rain", "mm"}});
  EXPECT_EQ(depths.variable("rain").units, "mm/day");
  EXPECT_DOUBLE_EQ(depths.at("rain")[0], 6);
  Spec unordered{.times = {48, 24, 72, 96}};
  EXPECT_HAS(error_of([&] { read_netcdf_series(write("u.nc", unordered)); }), "out of order");
  Spec bad_units{.time_units = "fortnights since 2000-01-01"};
  EXPECT_HAS(error_of([&] { read_netcdf_series(write("b.nc", bad_units)); }), "fortnights");
}

TEST_F(NetcdfFile, MissingAndForeignFilesAreRefused) {
  EXPECT_HAS(error_of([&] { read_netcdf_series(path("none.nc")); }), "file not found");
  std::ofstream(path("text.nc")) << "not a netcdf file\n";
  EXPECT_HAS(error_of([&] { read_netcdf_series(path("text.nc")); }), "not a NetCDF file");
}

}  // namespace
}  // namespace tessera::hydrology
