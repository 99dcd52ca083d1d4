#include "tessera/hydrology/et/months.hpp"

#include <cstdio>
#include <stdexcept>

namespace tessera::hydrology::et {

MonthIndex parse_month(const std::string& text) {
  if (text.size() == 7) return month_of(formats::parse_date(text + "-01"));
  try {
    return month_of(formats::parse_date(text));
  } catch (const std::invalid_argument&) {
    throw std::invalid_argument("'" + text + "' is not a month (YYYY-MM or YYYY-MM-DD)");
  }
}

std::string format_month(MonthIndex m) {
  char text[32];  // room for any int64 year: GCC checks the bound
  std::snprintf(text, sizeof text, "%04lld-%02d", static_cast<long long>(year_of(m)),
                calendar_month(m));
  return text;
}

}  // namespace tessera::hydrology::et
