// The proleptic Gregorian calendar: leap years, month lengths, day numbers and ISO text, against
// hand-computed days (1970-01-01 is day 0; 2000-01-01 is 946684800 s / 86400 = 10957, 2024-01-01
// 1704067200 s / 86400 = 19723, 1900-01-01 -2208988800 s / 86400 = -25567).
#include <gtest/gtest.h>

#include <stdexcept>

#include "tessera/formats/calendar.hpp"

namespace tessera::formats {
namespace {

TEST(Calendar, LeapYears) {
  EXPECT_FALSE(is_leap_year(1900));  // a century not divisible by 400
  EXPECT_TRUE(is_leap_year(2000));   // divisible by 400
  EXPECT_TRUE(is_leap_year(2024));
  EXPECT_FALSE(is_leap_year(2023));
  EXPECT_FALSE(is_leap_year(2100));
  EXPECT_TRUE(is_leap_year(1600));
}

TEST(Calendar, DaysInMonth) {
  EXPECT_EQ(days_in_month(1900, 2), 28);
  EXPECT_EQ(days_in_month(2000, 2), 29);
  EXPECT_EQ(days_in_month(2024, 2), 29);
  EXPECT_EQ(days_in_month(2023, 2), 28);
  EXPECT_EQ(days_in_month(2024, 1), 31);
  EXPECT_EQ(days_in_month(2024, 4), 30);
  EXPECT_EQ(days_in_month(2024, 9), 30);
  EXPECT_EQ(days_in_month(2024, 12), 31);
}

TEST(Calendar, ValidDates) {
  EXPECT_TRUE(is_valid({2000, 2, 29}));
  EXPECT_TRUE(is_valid({2024, 2, 29}));
  EXPECT_FALSE(is_valid({1900, 2, 29}));
  EXPECT_FALSE(is_valid({2023, 2, 29}));
  EXPECT_FALSE(is_valid({2024, 4, 31}));
  EXPECT_TRUE(is_valid({2024, 12, 31}));
  EXPECT_FALSE(is_valid({2024, 13, 1}));
  EXPECT_FALSE(is_valid({2024, 0, 1}));
  EXPECT_FALSE(is_valid({2024, 1, 0}));
}

TEST(Calendar, RoundTripsAcrossMonthAndYearEnds) {
  struct Case {
    CivilDate date;
    Day day;
  };
  const Case cases[] = {
      {{1969, 12, 31}, -1},          {{1970, 1, 1}, 0},
      {{1900, 2, 28}, -25567 + 58},  // 31 + 27 days into 1900
      {{1900, 3, 1}, -25567 + 59},   // no 29 February in 1900
      {{1999, 12, 31}, 10956},       {{2000, 1, 1}, 10957},
      {{2000, 2, 29}, 10957 + 59},   {{2000, 3, 1}, 10957 + 60},
      {{2023, 12, 31}, 19722},       {{2024, 1, 1}, 19723},
      {{2024, 1, 31}, 19753},        {{2024, 2, 1}, 19754},
      {{2024, 2, 29}, 19782},        {{2024, 3, 1}, 19783},
      {{2024, 12, 31}, 19723 + 365}, {{2025, 1, 1}, 19723 + 366},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(day_of(c.date), c.day) << format_date(c.date);
    EXPECT_EQ(civil_date(c.day), c.date) << c.day;
    EXPECT_EQ(parse_date(format_date(c.day)), c.day) << c.day;
  }
  EXPECT_EQ(format_date(CivilDate{2024, 2, 29}), "2024-02-29");
  EXPECT_EQ(format_date(CivilDate{5, 1, 2}), "0005-01-02");
  EXPECT_EQ(format_date(19783), "2024-03-01");
  EXPECT_EQ(day_of_year(19722), 365);        // 2023-12-31
  EXPECT_EQ(day_of_year(19723 + 365), 366);  // 2024-12-31
  EXPECT_EQ(day_of_year(-25567 + 59), 60);   // 1900-03-01
  EXPECT_EQ(day_of_year(19783), 61);         // 2024-03-01
}

TEST(Dates, KnownDays) {
  EXPECT_EQ(day_of({1970, 1, 1}), 0);
  EXPECT_EQ(day_of({1969, 12, 31}), -1);
  EXPECT_EQ(day_of({2000, 2, 29}), 11016);  // 30 years of 365 days and 7 leap days, + 59
  EXPECT_EQ(day_of({1954, 1, 1}), -5844);
  EXPECT_EQ(format_date(day_of({1954, 1, 1}) + 20818), "2010-12-31");
}

TEST(Dates, RoundTripEveryDayFrom1900To2100) {
  const Day first = day_of({1900, 1, 1}), last = day_of({2100, 12, 31});
  int leap_days = 0;
  for (Day d = first; d <= last; ++d) {
    const CivilDate c = civil_date(d);
    ASSERT_EQ(day_of(c), d);
    ASSERT_EQ(parse_date(format_date(d)), d);
    if (d > first) {
      // Consecutive days differ by one day of the month, or start a month at 1.
      const CivilDate before = civil_date(d - 1);
      ASSERT_TRUE(c.day == before.day + 1 || (c.day == 1 && (c.month == before.month % 12 + 1)))
          << format_date(d);
    }
    leap_days += c.month == 2 && c.day == 29;
  }
  EXPECT_EQ(leap_days, 49);  // 1904..2096, without 1900 and 2100
  EXPECT_EQ(last - first + 1, 201 * 365 + 49);
}

TEST(Dates, ParseAcceptsIsoAndRefusesTheRest) {
  EXPECT_EQ(parse_date("2000-02-29"), 11016);
  EXPECT_EQ(parse_date("2000-02-29T12:30:00Z"), 11016);
  EXPECT_EQ(parse_date("2000-02-29 06:00"), 11016);
  EXPECT_THROW(parse_date("1900-02-29"), std::invalid_argument);  // not a leap year
  EXPECT_THROW(parse_date("2001-02-29"), std::invalid_argument);
  EXPECT_THROW(parse_date("2000-13-01"), std::invalid_argument);
  EXPECT_THROW(parse_date("2000-04-31"), std::invalid_argument);
  EXPECT_THROW(parse_date("2000-00-10"), std::invalid_argument);
  EXPECT_THROW(parse_date("2000/01/01"), std::invalid_argument);
  EXPECT_THROW(parse_date("2000-1-1"), std::invalid_argument);
  EXPECT_THROW(parse_date("20000101"), std::invalid_argument);
  EXPECT_THROW(parse_date(""), std::invalid_argument);
  EXPECT_THROW(parse_date("2000-01-01x"), std::invalid_argument);
  try {
    parse_date("1900-02-29");
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("1900-02-29"), std::string::npos) << e.what();
  }
}

TEST(Dates, DayOfYear) {
  EXPECT_EQ(day_of_year(parse_date("2001-01-01")), 1);
  EXPECT_EQ(day_of_year(parse_date("2001-03-01")), 60);
  EXPECT_EQ(day_of_year(parse_date("2000-03-01")), 61);
  EXPECT_EQ(day_of_year(parse_date("2000-12-31")), 366);
  EXPECT_EQ(day_of_year(parse_date("1900-12-31")), 365);
  EXPECT_EQ(day_of_year(parse_date("1960-07-04")), 186);
}

}  // namespace
}  // namespace tessera::formats
