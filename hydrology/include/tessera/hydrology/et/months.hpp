#pragma once
// Months as one number for arithmetic (year * 12 + month - 1), the time step of water budgets:
// basin tables, GRACE storage and monthly ET grids all count in calendar months.
//
//   const MonthIndex m = parse_month("2010-03-01");  // also "2010-03"
//   calendar_month(m);                               // 3
//   format_month(m + 10);                            // "2011-01"
#include <cstdint>
#include <string>

#include "tessera/formats/calendar.hpp"

namespace tessera::hydrology::et {

using MonthIndex = int64_t;

inline MonthIndex month_index(int64_t year, int month) {
  return year * 12 + (month - 1);
}
inline MonthIndex month_of(formats::Day day) {
  const formats::CivilDate c = formats::civil_date(day);
  return month_index(c.year, c.month);
}
inline int calendar_month(MonthIndex m) {
  return int(((m % 12) + 12) % 12) + 1;
}  // 1..12
inline int64_t year_of(MonthIndex m) {
  return (m - (calendar_month(m) - 1)) / 12;
}
inline int days_in(MonthIndex m) {
  return formats::days_in_month(year_of(m), calendar_month(m));
}

// "YYYY-MM" or any date of the month ("YYYY-MM-DD"); throws std::invalid_argument naming the text.
MonthIndex parse_month(const std::string& text);
std::string format_month(MonthIndex m);  // "YYYY-MM"

}  // namespace tessera::hydrology::et
