// correct-et: a gridded product corrected month by month, so a global grid of decades needs the
// memory of a few months, not of the whole file.
#include <cctype>
#include <cmath>
#include <filesystem>
#include <map>
#include <stdexcept>

#include "tessera/hydrology/et/correction_model.hpp"
#include "tessera/hydrology/et/et_workflow.hpp"
#include "tessera/hydrology/et/monthly_grid.hpp"
#include "tessera/io/output_check.hpp"
#include "tessera/io/settings.hpp"

namespace tessera::hydrology::et {

namespace {

// The model learnt on mm per month; a grid in other units would be corrected wrongly, silently.
void require_monthly_depth(const MonthlyGridReader& g) {
  std::string u;  // "mm.month-1", "mm month-1", "mm/month", "kg m-2 month-1": spelling varies
  for (const char ch : g.units())
    if (ch != ' ' && ch != '.' && ch != '*' && ch != '^') u += char(std::tolower(ch));
  const bool depth = u.rfind("mm", 0) == 0 || u.rfind("kgm-2", 0) == 0;
  if (u.empty() || u == "mm" || (depth && u.find("mon") != std::string::npos)) return;
  throw std::runtime_error(g.path() + ": values in '" + g.units() +
                           "', the model corrects mm per month: convert the grid first");
}

std::map<std::string, std::string> named_grids(const std::vector<std::string>& specs) {
  std::map<std::string, std::string> out;
  for (const std::string& f : specs) {
    const size_t eq = f.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == f.size())
      throw SettingError("feature", "'" + f + "' is not NAME=GRID");
    if (!out.emplace(f.substr(0, eq), f.substr(eq + 1)).second)
      throw SettingError("feature", f.substr(0, eq) + " is given twice");
  }
  return out;
}

std::vector<MonthlyGridReader> open_inputs(const EtCorrectionModel& m,
                                           const EtCorrectionRequest& r) {
  std::vector<MonthlyGridReader> grids;
  grids.emplace_back(
      MonthlyGridSource{.path = r.input, .variable = r.variable, .first_month = r.first_month});
  std::map<std::string, std::string> given = named_grids(r.features);
  for (size_t i = 1; i < m.inputs.size(); ++i) {
    const auto it = given.find(m.inputs[i]);
    if (it == given.end())
      throw SettingError("feature", "the model reads " + m.inputs[i] + ": give its grid as " +
                                        m.inputs[i] + "=FILE");
    grids.emplace_back(MonthlyGridSource{.path = it->second, .first_month = r.first_month});
    given.erase(it);
  }
  if (!given.empty())
    throw SettingError("feature", "the model does not read " + given.begin()->first);
  for (const MonthlyGridReader& g : grids) {
    require_monthly_depth(g);
    if (g.lat() != grids[0].lat() || g.lon() != grids[0].lon() || g.months() != grids[0].months())
      throw std::runtime_error(g.path() + ": not on the grid and months of " + r.input);
  }
  return grids;
}

// Each input's mean per cell over the grid's months: the cell's climate, as training took each
// basin's.
std::vector<std::vector<double>> cell_climate(const std::vector<MonthlyGridReader>& grids) {
  std::vector<std::vector<double>> out;
  for (const MonthlyGridReader& g : grids) {
    const size_t cells = g.lat().size() * g.lon().size();
    std::vector<double> sum(cells, 0.0), n(cells, 0.0);
    for (size_t t = 0; t < g.months().size(); ++t) {
      const std::vector<double> f = g.read(t);
      for (size_t c = 0; c < cells; ++c)
        if (!std::isnan(f[c])) sum[c] += f[c], n[c] += 1;
    }
    for (size_t c = 0; c < cells; ++c) sum[c] = n[c] > 0 ? sum[c] / n[c] : std::nan("");
    out.push_back(std::move(sum));
  }
  return out;
}

}  // namespace

EtCorrectionReport correct_et_to_file(const EtCorrectionRequest& r) {
  std::vector<NamedPath> inputs = {{"model", r.model}, {"input", r.input}};
  for (const auto& [name, path] : named_grids(r.features)) inputs.push_back({"feature", path});
  check_outputs_spare_inputs({.inputs = inputs, .output_files = {{"output", r.output}}});
  EtCorrectionModel m = load_et_model(r.model);
  const std::vector<MonthlyGridReader> grids = open_inputs(m, r);
  const MonthlyGridReader& et = grids[0];
  const std::vector<std::vector<double>> climate = cell_climate(grids);
  const size_t nlat = et.lat().size(), nlon = et.lon().size(), cells = nlat * nlon;
  const size_t n = grids.size();
  const int64_t f = feature_count(n, m.location);
  MonthlyGridWriter out(
      r.output, et.lat(), et.lon(),
      {{"et_corrected", "mm/month", "evapotranspiration corrected for water-budget closure"},
       {"et_correction", "mm/month", "corrected minus original evapotranspiration"}},
      {{"title", "ET corrected by water-budget closure"},
       {"source", r.input},
       {"product", m.product},
       {"model", r.model},
       {"max_relative_correction", std::to_string(m.max_correction)},
       {"history", r.command_line.empty() ? "tessera hydrology correct-et" : r.command_line}});
  EtCorrectionReport rep{.months = int64_t(et.months().size()), .cells = int64_t(cells)};
  double change = 0, total = 0;
  std::vector<double> values(n), clim(n);
  for (size_t t = 0; t < et.months().size(); ++t) {
    std::vector<std::vector<double>> frames;
    for (const MonthlyGridReader& g : grids) frames.push_back(g.read(t));
    std::vector<float> x(cells * size_t(f));
    for (size_t c = 0; c < cells; ++c) {
      for (size_t i = 0; i < n; ++i) values[i] = frames[i][c], clim[i] = climate[i][c];
      cell_features(values.data(), clim.data(), n, calendar_month(et.months()[t]),
                    et.lat()[c / nlon], et.lon()[c % nlon], m.location, x.data() + c * size_t(f));
    }
    const std::vector<double> factor = correction_factors(m, x);
    std::vector<double> corrected(cells), correction(cells);
    for (size_t c = 0; c < cells; ++c) {
      const double e = frames[0][c];
      corrected[c] = e * (1 + factor[c]);
      correction[c] = corrected[c] - e;
      if (std::isfinite(e)) change += std::abs(correction[c]), total += std::abs(e);
    }
    out.write(et.months()[t], {corrected, correction});
  }
  out.commit();
  rep.mean_abs_change = total > 0 ? change / total : 0;
  return rep;
}

}  // namespace tessera::hydrology::et
