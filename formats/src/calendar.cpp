#include "tessera/formats/calendar.hpp"

#include <cstdio>
#include <stdexcept>

namespace tessera::formats {

namespace {

// Digits text[at, at + n) as a number, or -1 when any is not a digit.
int digits(const std::string& text, size_t at, size_t n) {
  if (at + n > text.size()) return -1;
  int v = 0;
  for (size_t i = at; i < at + n; ++i) {
    if (text[i] < '0' || text[i] > '9') return -1;
    v = 10 * v + (text[i] - '0');
  }
  return v;
}

}  // namespace

bool is_leap_year(int64_t year) {
  return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

int days_in_month(int64_t year, int month) {
  static constexpr int length[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && is_leap_year(year) ? 29 : length[month - 1];
}

bool is_valid(const CivilDate& date) {
  return date.month >= 1 && date.month <= 12 && date.day >= 1 &&
         date.day <= days_in_month(date.year, date.month);
}

// Hinnant's days_from_civil: eras of 400 years make the arithmetic exact for any year.
Day day_of(const CivilDate& date) {
  const int64_t y = int64_t(date.year) - (date.month <= 2);
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t mp = (date.month + 9) % 12;  // March = 0, so the leap day ends the year
  const int64_t doy = (153 * mp + 2) / 5 + date.day - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

CivilDate civil_date(Day day) {
  const int64_t z = day + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int d = int(doy - (153 * mp + 2) / 5 + 1);
  const int m = int(mp < 10 ? mp + 3 : mp - 9);
  return {int(yoe + era * 400 + (m <= 2)), m, d};
}

int day_of_year(Day day) {
  return int(day - day_of({civil_date(day).year, 1, 1}) + 1);
}

Day parse_date(const std::string& text) {
  const int y = digits(text, 0, 4), m = digits(text, 5, 2), d = digits(text, 8, 2);
  const bool shape = text.size() >= 10 && text[4] == '-' && text[7] == '-' &&
                     (text.size() == 10 || text[10] == 'T' || text[10] == ' ');
  if (!shape || y < 0 || m < 0 || d < 0)
    throw std::invalid_argument("not a date: '" + text + "' (expected YYYY-MM-DD)");
  if (!is_valid({y, m, d})) throw std::invalid_argument("no such day: '" + text + "'");
  return day_of({y, m, d});
}

std::string format_date(Day day) {
  return format_date(civil_date(day));
}

std::string format_date(const CivilDate& date) {
  char text[48];
  std::snprintf(text, sizeof text, "%04d-%02d-%02d", date.year, date.month, date.day);
  return text;
}

}  // namespace tessera::formats
