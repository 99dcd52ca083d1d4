#include "tessera/hydrology/pi_xml.hpp"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlstring.h>

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>
#include <memory>
#include <stdexcept>
#include <utility>

#include "tessera/formats/calendar.hpp"
#include "tessera/io/atomic_file.hpp"

namespace tessera::hydrology {

namespace {

constexpr const char* kPiNamespace = "http://www.wldelft.nl/fews/PI";
constexpr const char* kSchemaLocation =
    "http://www.wldelft.nl/fews/PI "
    "http://fews.wldelft.nl/schemas/version1.0/pi-schemas/pi_timeseries.xsd";
constexpr const char* kXsiNamespace = "http://www.w3.org/2001/XMLSchema-instance";
// qualifierId and ensembleMemberIndex are in the schema since PI 1.4.
constexpr const char* kPiVersion = "1.4";
constexpr int64_t kDay = 86400;
const double kNaN = std::numeric_limits<double>::quiet_NaN();

struct DocFree {
  void operator()(xmlDoc* d) const { xmlFreeDoc(d); }
};
struct ParserFree {
  void operator()(xmlParserCtxt* c) const { xmlFreeParserCtxt(c); }
};
struct XmlFree {
  void operator()(xmlChar* s) const { xmlFree(s); }
};
using Doc = std::unique_ptr<xmlDoc, DocFree>;

const xmlChar* x(const char* s) {
  return reinterpret_cast<const xmlChar*>(s);
}
const xmlChar* x(const std::string& s) {
  return x(s.c_str());
}

// Shortest text that reads back to the same double; NaN as xs:double spells it.
std::string number(double v) {
  if (std::isnan(v)) return "NaN";
  char text[32];
  const auto end = std::to_chars(text, text + sizeof text, v, std::chars_format::general).ptr;
  return std::string(text, end);
}

// ---------------------------------------------------------------------------------------------
// Writing

struct Stamp {
  std::string date, time;  // "YYYY-MM-DD", "hh:mm:ss"
};

Stamp stamp(int64_t unix_seconds, int64_t offset) {
  const int64_t local = unix_seconds + offset;
  const int64_t day = local >= 0 ? local / kDay : -((-local + kDay - 1) / kDay);
  const int64_t s = local - day * kDay;
  char time[16];
  std::snprintf(time, sizeof time, "%02d:%02d:%02d", int(s / 3600), int(s / 60 % 60), int(s % 60));
  return {formats::format_date(day), time};
}

std::string series_name(const PiSeries& s, size_t index) {
  return "series " + std::to_string(index) + " (location '" + s.location + "', parameter '" +
         s.parameter + "'" + (s.qualifier.empty() ? "" : ", qualifier '" + s.qualifier + "'") + ")";
}

void check_text(const std::string& text, const char* field, const std::string& name) {
  for (char c : text)
    if (static_cast<unsigned char>(c) < 0x20)
      throw std::invalid_argument(name + ": its " + field + " holds a control character");
  if (!xmlCheckUTF8(x(text)))
    throw std::invalid_argument(name + ": its " + field + " is not UTF-8 text");
}

void check_series(const PiSeries& s, const std::string& name) {
  if (s.location.empty()) throw std::invalid_argument(name + ": no location (locationId)");
  if (s.parameter.empty()) throw std::invalid_argument(name + ": no parameter (parameterId)");
  check_text(s.location, "location", name);
  check_text(s.parameter, "parameter", name);
  check_text(s.units, "units", name);
  check_text(s.qualifier, "qualifier", name);
  check_text(s.ensemble_id, "ensemble id", name);
  if (s.type != "instantaneous" && s.type != "accumulative")
    throw std::invalid_argument(name + ": type '" + s.type +
                                "' is neither instantaneous nor accumulative");
  if (s.step_seconds < 0)
    throw std::invalid_argument(name + ": the time step is negative (0: nonequidistant)");
  if (s.ensemble_member && *s.ensemble_member < 0)
    throw std::invalid_argument(name + ": the ensemble member index is negative");
  if (s.events.empty()) throw std::invalid_argument(name + ": no events to write");
  for (size_t i = 0; i < s.events.size(); ++i) {
    const auto& [t, v] = s.events[i];
    if (std::isinf(v))
      throw std::invalid_argument(name + ": event " + std::to_string(i) + " is infinite");
    if (i == 0) continue;
    const int64_t gap = t - s.events[i - 1].first;
    if (gap <= 0)
      throw std::invalid_argument(name + ": event times must increase (event " + std::to_string(i) +
                                  ")");
    if (s.step_seconds > 0 && gap % s.step_seconds != 0)
      throw std::invalid_argument(name + ": event " + std::to_string(i) + " is off the " +
                                  std::to_string(s.step_seconds) + " s time step");
  }
}

void add_text(xmlNode* parent, xmlNs* pi, const char* name, const std::string& text) {
  xmlNewTextChild(parent, pi, x(name), x(text));
}

void add_stamp(xmlNode* parent, xmlNs* pi, const char* name, int64_t t, int64_t offset) {
  const Stamp st = stamp(t, offset);
  xmlNode* n = xmlNewChild(parent, pi, x(name), nullptr);
  xmlNewProp(n, x("date"), x(st.date));
  xmlNewProp(n, x("time"), x(st.time));
}

void add_header(xmlNode* series, xmlNs* pi, const PiSeries& s, int64_t offset) {
  xmlNode* h = xmlNewChild(series, pi, x("header"), nullptr);
  add_text(h, pi, "type", s.type);
  add_text(h, pi, "locationId", s.location);
  add_text(h, pi, "parameterId", s.parameter);
  if (!s.qualifier.empty()) add_text(h, pi, "qualifierId", s.qualifier);
  if (!s.ensemble_id.empty()) add_text(h, pi, "ensembleId", s.ensemble_id);
  if (s.ensemble_member) add_text(h, pi, "ensembleMemberIndex", std::to_string(*s.ensemble_member));
  xmlNode* step = xmlNewChild(h, pi, x("timeStep"), nullptr);
  if (s.step_seconds > 0) {
    xmlNewProp(step, x("unit"), x("second"));
    xmlNewProp(step, x("multiplier"), x(std::to_string(s.step_seconds)));
  } else {
    xmlNewProp(step, x("unit"), x("nonequidistant"));
  }
  add_stamp(h, pi, "startDate", s.events.front().first, offset);
  add_stamp(h, pi, "endDate", s.events.back().first, offset);
  if (s.forecast_time) add_stamp(h, pi, "forecastDate", *s.forecast_time, offset);
  add_text(h, pi, "missVal", "NaN");
  if (!s.units.empty()) add_text(h, pi, "units", s.units);
}

void add_series(xmlNode* root, xmlNs* pi, const PiSeries& s, int64_t offset) {
  xmlNode* series = xmlNewChild(root, pi, x("series"), nullptr);
  add_header(series, pi, s, offset);
  for (const auto& [t, v] : s.events) {
    const Stamp st = stamp(t, offset);
    xmlNode* e = xmlNewChild(series, pi, x("event"), nullptr);
    xmlNewProp(e, x("date"), x(st.date));
    xmlNewProp(e, x("time"), x(st.time));
    xmlNewProp(e, x("value"), x(number(v)));
    xmlNewProp(e, x("flag"), x(std::isnan(v) ? "9" : "0"));  // 9: missing, 0: original
  }
}

// ---------------------------------------------------------------------------------------------
// Reading

class Reader {
 public:
  explicit Reader(std::string path) : path_(std::move(path)) {}

  [[noreturn]] void fail(const xmlNode* at, const std::string& what) const {
    const long line = at ? xmlGetLineNo(at) : -1;
    throw std::runtime_error(path_ + (line > 0 ? ": line " + std::to_string(line) : "") + ": " +
                             what);
  }

  std::vector<PiSeries> read(const xmlNode* root) const {
    if (!is(root, "TimeSeries"))
      fail(root, std::string("not a Delft-FEWS PI time series document (its root element is '") +
                     reinterpret_cast<const char*>(root->name) +
                     "', expected TimeSeries in namespace " + kPiNamespace + ")");
    const xmlNode* zone = child(root, "timeZone");
    const double hours = zone ? number_in(zone, text(zone), "timeZone") : 0;
    if (!(hours >= -12 && hours <= 14)) fail(zone, "timeZone is not -12..14 hours");
    const int64_t offset = std::llround(hours * 3600);
    std::vector<PiSeries> out;
    for (const xmlNode* n = root->children; n; n = n->next)
      if (is(n, "series")) out.push_back(series(n, offset));
    return out;
  }

 private:
  static bool is(const xmlNode* n, const char* name) {
    return n->type == XML_ELEMENT_NODE && n->ns && xmlStrEqual(n->ns->href, x(kPiNamespace)) &&
           xmlStrEqual(n->name, x(name));
  }

  static const xmlNode* child(const xmlNode* parent, const char* name) {
    for (const xmlNode* n = parent->children; n; n = n->next)
      if (is(n, name)) return n;
    return nullptr;
  }

  const xmlNode* required(const xmlNode* parent, const char* name) const {
    const xmlNode* n = child(parent, name);
    if (!n)
      fail(parent, std::string("<") + reinterpret_cast<const char*>(parent->name) + "> has no <" +
                       name + ">");
    return n;
  }

  static std::string text(const xmlNode* n) {
    std::unique_ptr<xmlChar, XmlFree> content(xmlNodeGetContent(n));
    std::string s = content ? reinterpret_cast<const char*>(content.get()) : "";
    const size_t first = s.find_first_not_of(" \t\r\n"), last = s.find_last_not_of(" \t\r\n");
    return first == std::string::npos ? "" : s.substr(first, last - first + 1);
  }

  static std::optional<std::string> attribute(const xmlNode* n, const char* name) {
    std::unique_ptr<xmlChar, XmlFree> value(xmlGetProp(n, x(name)));
    if (!value) return std::nullopt;
    return std::string(reinterpret_cast<const char*>(value.get()));
  }

  std::string required_attribute(const xmlNode* n, const char* name) const {
    std::optional<std::string> v = attribute(n, name);
    if (!v)
      fail(n, std::string("<") + reinterpret_cast<const char*>(n->name) + "> has no '" + name +
                  "' attribute");
    return *v;
  }

  double number_in(const xmlNode* n, const std::string& s, const char* what) const {
    if (s == "NaN") return kNaN;
    double v = 0;
    const auto [end, error] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || error != std::errc() || end != s.data() + s.size())
      fail(n, std::string(what) + " '" + s + "' is not a number");
    return v;
  }

  int64_t integer_in(const xmlNode* n, const std::string& s, const char* what) const {
    int64_t v = 0;
    const auto [end, error] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || error != std::errc() || end != s.data() + s.size())
      fail(n, std::string(what) + " '" + s + "' is not a whole number");
    return v;
  }

  // Unix seconds of a date="YYYY-MM-DD" time="hh:mm:ss" element in the document's zone.
  int64_t seconds(const xmlNode* n, int64_t offset) const {
    const std::string date = required_attribute(n, "date"), time = required_attribute(n, "time");
    formats::Day day = 0;
    try {
      day = formats::parse_date(date);
    } catch (const std::invalid_argument& e) {
      fail(n, e.what());
    }
    int hh = -1, mm = -1, ss = -1, used = 0;
    if (std::sscanf(time.c_str(), "%2d:%2d:%2d%n", &hh, &mm, &ss, &used) != 3 ||
        size_t(used) != time.size() || hh > 23 || mm > 59 || ss > 59 || hh < 0 || mm < 0 || ss < 0)
      fail(n, "time '" + time + "' is not hh:mm:ss");
    return day * kDay + hh * 3600 + mm * 60 + ss - offset;
  }

  int64_t step_seconds(const xmlNode* step) const {
    const std::string unit = required_attribute(step, "unit");
    if (unit == "nonequidistant") return 0;
    const int64_t base = unit == "second"   ? 1
                         : unit == "minute" ? 60
                         : unit == "hour"   ? 3600
                         : unit == "day"    ? kDay
                         : unit == "week"   ? 7 * kDay
                                            : 0;
    if (base == 0) fail(step, "timeStep unit '" + unit + "' is not one PI knows");
    const std::optional<std::string> m = attribute(step, "multiplier"),
                                     d = attribute(step, "divider");
    const int64_t multiplier = m ? integer_in(step, *m, "multiplier") : 1;
    const int64_t divider = d ? integer_in(step, *d, "divider") : 1;
    if (multiplier < 1 || divider < 1 || base * multiplier % divider != 0)
      fail(step, "timeStep is not a positive whole number of seconds");
    return base * multiplier / divider;
  }

  void header(const xmlNode* h, PiSeries& s, double& miss, int64_t offset) const {
    s.type = text(required(h, "type"));
    s.location = text(required(h, "locationId"));
    s.parameter = text(required(h, "parameterId"));
    int qualifiers = 0;
    for (const xmlNode* n = h->children; n; n = n->next)
      if (is(n, "qualifierId")) s.qualifier = text(n), ++qualifiers;
    if (qualifiers > 1) fail(h, "the header holds several qualifierId; tessera reads one");
    if (const xmlNode* n = child(h, "ensembleId")) s.ensemble_id = text(n);
    if (const xmlNode* n = child(h, "ensembleMemberIndex"))
      s.ensemble_member = int(integer_in(n, text(n), "ensembleMemberIndex"));
    s.step_seconds = step_seconds(required(h, "timeStep"));
    if (const xmlNode* n = child(h, "forecastDate")) s.forecast_time = seconds(n, offset);
    if (const xmlNode* n = child(h, "missVal")) miss = number_in(n, text(n), "missVal");
    if (const xmlNode* n = child(h, "units")) s.units = text(n);
  }

  PiSeries series(const xmlNode* node, int64_t offset) const {
    PiSeries s;
    double miss = kNaN;
    header(required(node, "header"), s, miss, offset);
    for (const xmlNode* n = node->children; n; n = n->next) {
      if (!is(n, "event")) continue;
      double v = number_in(n, required_attribute(n, "value"), "value");
      if (v == miss || attribute(n, "flag") == "9") v = kNaN;
      s.events.emplace_back(seconds(n, offset), v);
    }
    return s;
  }

  std::string path_;
};

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw std::runtime_error(path + ": cannot open the PI time series file (" +
                             std::strerror(errno) + ")");
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

std::string pi_quantile_qualifier(double level) {
  if (!(level > 0 && level < 1))
    throw std::invalid_argument("pi_quantile_qualifier: level " + number(level) +
                                " is outside (0, 1)");
  char text[32];  // shortest fixed-point text: "0.1", "0.05", "0.025"
  std::string digits(text,
                     std::to_chars(text, text + sizeof text, level, std::chars_format::fixed).ptr);
  while (digits.size() < 4) digits += '0';
  return "q" + digits;
}

std::string pi_timeseries_xml(const std::vector<PiSeries>& series, double time_zone_hours) {
  if (!(time_zone_hours >= -12 && time_zone_hours <= 14))
    throw std::invalid_argument("PI time series: time zone " + number(time_zone_hours) +
                                " h is not -12..14 hours from GMT");
  if (series.empty()) throw std::invalid_argument("PI time series: no series to write");
  for (size_t i = 0; i < series.size(); ++i) check_series(series[i], series_name(series[i], i));
  xmlInitParser();
  Doc doc(xmlNewDoc(x("1.0")));
  xmlNode* root = xmlNewNode(nullptr, x("TimeSeries"));
  xmlDocSetRootElement(doc.get(), root);
  xmlNs* pi = xmlNewNs(root, x(kPiNamespace), nullptr);
  xmlSetNs(root, pi);
  xmlNs* xsi = xmlNewNs(root, x(kXsiNamespace), x("xsi"));
  xmlNewNsProp(root, xsi, x("schemaLocation"), x(kSchemaLocation));
  xmlNewProp(root, x("version"), x(kPiVersion));
  std::string zone = number(time_zone_hours);
  if (zone.find('.') == std::string::npos) zone += ".0";
  add_text(root, pi, "timeZone", zone);
  const int64_t offset = std::llround(time_zone_hours * 3600);
  for (const PiSeries& s : series) add_series(root, pi, s, offset);
  xmlChar* bytes = nullptr;
  int size = 0;
  xmlDocDumpFormatMemoryEnc(doc.get(), &bytes, &size, "UTF-8", 1);
  if (!bytes) throw std::runtime_error("PI time series: libxml2 could not serialise the document");
  std::unique_ptr<xmlChar, XmlFree> owned(bytes);
  return std::string(reinterpret_cast<const char*>(bytes), size_t(size));
}

void write_pi_timeseries(const std::string& path, const std::vector<PiSeries>& series,
                         double time_zone_hours) {
  write_atomically(path, pi_timeseries_xml(series, time_zone_hours));
}

std::vector<PiSeries> read_pi_timeseries(const std::string& path) {
  const std::string bytes = slurp(path);
  if (bytes.size() > size_t(std::numeric_limits<int>::max()))
    throw std::runtime_error(path + ": too large for a PI time series file");
  xmlInitParser();
  std::unique_ptr<xmlParserCtxt, ParserFree> parser(xmlNewParserCtxt());
  if (!parser) throw std::runtime_error(path + ": libxml2 could not make a parser");
  Doc doc(xmlCtxtReadMemory(parser.get(), bytes.data(), int(bytes.size()), path.c_str(), nullptr,
                            XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING));
  if (!doc) {
    const xmlError* e = xmlCtxtGetLastError(parser.get());
    std::string why = e && e->message ? e->message : "unknown error";
    while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) why.pop_back();
    throw std::runtime_error(path + (e && e->line > 0 ? ": line " + std::to_string(e->line) : "") +
                             ": not well-formed XML (" + why + ")");
  }
  const xmlNode* root = xmlDocGetRootElement(doc.get());
  if (!root) throw std::runtime_error(path + ": the XML document is empty");
  return Reader(path).read(root);
}

}  // namespace tessera::hydrology
