#pragma once
// Dates in the proleptic Gregorian calendar, as day numbers for arithmetic and as ISO text for
// files and messages: the one calendar of hydrology's daily series and ecology's capture nights.
//
//   const Day d = parse_date("2000-02-28");
//   format_date(d + 1);              // "2000-02-29": 2000 is a leap year (divisible by 400)
//   civil_date(d + 2).month;         // 3
#include <cstdint>
#include <string>

namespace tessera::formats {

// Days since 1970-01-01 in the proleptic Gregorian calendar (negative before it).
using Day = int64_t;

struct CivilDate {
  int year = 1970, month = 1, day = 1;
  friend bool operator==(const CivilDate&, const CivilDate&) = default;
};

// Divisible by 4, except centuries not divisible by 400 (1900 is not, 2000 is).
bool is_leap_year(int64_t year);
// 28..31; `month` 1..12.
int days_in_month(int64_t year, int month);
// Month 1..12 and day 1..days_in_month: a day the calendar has.
bool is_valid(const CivilDate& date);

// Day number of a calendar date, exact for any year; `date` must be valid.
Day day_of(const CivilDate& date);
CivilDate civil_date(Day day);
int day_of_year(Day day);  // 1..366

// "YYYY-MM-DD" (also "YYYY-MM-DDThh:mm..." or "YYYY-MM-DD hh:mm..." with the time ignored);
// throws std::invalid_argument naming the text when it is not one or names no real day.
Day parse_date(const std::string& text);
std::string format_date(Day day);                // "YYYY-MM-DD"
std::string format_date(const CivilDate& date);  // "YYYY-MM-DD"

}  // namespace tessera::formats
