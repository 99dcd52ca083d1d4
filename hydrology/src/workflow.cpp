#include "tessera/hydrology/workflow.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iomanip>
#include <optional>

#include "tessera/hydrology/baselines.hpp"
#include "tessera/hydrology/probabilistic.hpp"
#include "tessera/hydrology/units.hpp"
#include "tessera/io/atomic_file.hpp"
#include "tessera/io/output_check.hpp"
#include "tessera/io/settings.hpp"

namespace tessera::hydrology {

namespace {

std::string period_text(const Period& p, TimeStep step) {
  return format_step(p.first, step) + " to " + format_step(p.last, step);
}

int64_t missing_steps(const std::vector<double>& v) {
  return std::count_if(v.begin(), v.end(), [](double x) { return std::isnan(x); });
}

void describe_data(std::ostream& log, const HydrologyConfig& c, const TimeSeries& s) {
  const std::string unit = s.step.daily() ? " days" : " steps of " + format_time_step(s.step);
  log << "data " << period_text({s.first, s.last()}, s.step) << " (" << s.length << unit
      << "); discharge '" << c.discharge << "' in mm/day, " << missing_steps(s.at(c.discharge))
      << unit << " missing\n";
}

void describe_baseline(std::ostream& log, const HydrologyConfig& c, const ConceptualModel& b) {
  const bool snow = !c.gr4j.temperature.empty() && c.time_step.daily();
  log << (b.gr4j.hourly ? "GR4H" : "GR4J") << (snow ? " + snow" : "") << " calibrated on "
      << period_text(c.train, c.time_step) << ": NSE " << std::fixed << std::setprecision(3)
      << b.nse << std::setprecision(2) << " (x1 " << b.gr4j.x1 << ", x2 " << b.gr4j.x2 << ", x3 "
      << b.gr4j.x3 << ", x4 " << b.gr4j.x4;
  if (snow) log << "; " << describe_snow(b);
  log << ")" << std::defaultfloat << "\n";
}

void describe_network(std::ostream& log, const HydrologyConfig& c) {
  const TimeUnit unit = time_unit(c.time_step);
  std::vector<std::string> leads;
  for (int64_t d : c.lead_times) leads.push_back(steps_in_unit(d, c.time_step));
  log << "training " << c.model.ensemble << " LSTMs (hidden " << c.model.hidden << ", "
      << steps_in_unit(c.model.sequence_length, c.time_step) << "-" << unit.singular()
      << " windows) on " << list_names(model_inputs(c)) << " for "
      << (c.mode == RunMode::simulation ? "simulation"
                                        : "lead times of " + list_names(leads) + " " + unit.name)
      << "\n";
}

void describe_epoch(std::ostream& log, const EpochReport& r) {
  log << "  epoch " << r.epoch << "  loss " << std::setprecision(4) << r.train_loss
      << "  validation NSE " << std::setprecision(3) << r.validation_nse
      << (r.kept ? "  (kept)" : "") << "  " << std::setprecision(3) << r.seconds << " s"
      << std::endl;
}

// What the validation period chose, and the scores it was chosen by.
void describe_choice(std::ostream& log, const DischargeModel& m) {
  log << "chosen on the validation period: " << m.choice << std::fixed << std::setprecision(3);
  for (const Candidate& c : m.candidates) {
    log << (&c == &m.candidates.front() ? " (NSE: " : "; ") << c.name;
    for (double nse : c.nse) log << " " << nse;
  }
  log << (m.candidates.empty() ? "" : ")") << std::defaultfloat << "\n";
}

// The files a run reads: the config and every data file it names.
std::vector<NamedPath> files_read(const HydrologyConfig& c, const std::string& config) {
  std::vector<NamedPath> files = {{"config", config}};
  std::vector<InputSource> inputs = c.inputs;
  for (const BasinConfig& b : c.basins)
    inputs.insert(inputs.end(), b.inputs.begin(), b.inputs.end());
  for (const InputSource& in : inputs)
    for (const std::string& path : {in.path, in.grid.path, in.shape})
      files.push_back({"config's data", path});
  files.push_back({"config's forecasts", c.forecasts.path});
  files.push_back({"config's attributes", c.attributes_csv});
  return files;
}

// Every basin's data, GR4J and attributes, as a model of several basins trains on them.
std::vector<BasinData> basins_data(const HydrologyConfig& c, const ModelTraining& t) {
  std::vector<BasinData> out;
  for (size_t k = 0; k < c.basins.size(); ++k) {
    BasinData b;  // field by field: GCC 12 misreads a braced one as uninitialised
    b.id = c.basins[k].id;
    b.config = basin_config(c, k);
    b.attributes = basin_attributes(c, k);
    b.held_out = c.basins[k].held_out;
    b.series = load_inputs(b.config);
    if (t.log) {
      *t.log << "basin " << b.id << (b.held_out ? " (held out): " : ": ");
      describe_data(*t.log, b.config, b.series);
    }
    if (has_gr4j_inputs(c)) {
      b.baseline = calibrate_baseline(b.config, b.series, t.gr4j_runs);
      if (t.log) describe_baseline(*t.log, b.config, *b.baseline);
    }
    out.push_back(std::move(b));
  }
  return out;
}

}  // namespace

DischargeModel train_from_config(const ModelTraining& t) {
  const HydrologyConfig c = read_config(t.config);
  CommandPaths paths{.inputs = files_read(c, t.config), .output_files = {{"output", t.output}}};
  add_run_paths(paths, t.run, t.output);
  check_outputs_spare_inputs(paths);
  RunSettings run = t.run;
  run.output = t.output;  // the run folder and its checkpoints go beside the model
  auto progress = [&](const EpochReport& r) {
    if (t.log && t.epoch_lines) describe_epoch(*t.log, r);
  };
  if (!c.basins.empty()) {
    const std::vector<BasinData> basins = basins_data(c, t);
    if (t.log) describe_network(*t.log, c);
    DischargeModel m = train_discharge_model(c, basins, progress, run);
    if (t.log) describe_choice(*t.log, m);
    save_discharge_model(t.output, m);
    return m;
  }
  const TimeSeries s = load_inputs(c);
  if (t.log) describe_data(*t.log, c, s);
  std::optional<ConceptualModel> baseline;
  if (has_gr4j_inputs(c)) {
    baseline = calibrate_baseline(c, s, t.gr4j_runs);
    if (t.log) describe_baseline(*t.log, c, *baseline);
  }
  if (t.log) describe_network(*t.log, c);
  DischargeModel m = train_discharge_model(c, s, progress, run, baseline);
  if (t.log) describe_choice(*t.log, m);
  save_discharge_model(t.output, m);
  return m;
}

DischargeModel load_model_with_config(const std::string& path, const std::string& config,
                                      Device device) {
  DischargeModel m = load_discharge_model(path);
  move_to(*m.network, device);
  if (config.empty()) return m;
  const HydrologyConfig other = read_config(config);
  HydrologyConfig& own = m.config;
  auto require_same = [&](bool same, const char* what) {
    if (!same)
      throw SettingError(
          "config", config + ": its " + what + " differs from the model's (train a model on it)");
  };
  require_same(other.mode == own.mode, "mode");
  require_same(other.discharge == own.discharge, "discharge");
  require_same(other.forcings == own.forcings, "forcings");
  require_same(other.time_step == own.time_step, "time_step");
  require_same(other.lead_times == own.lead_times, "lead_times");
  if (!m.basins.empty()) {  // the same basins, their data and periods from the config
    std::vector<std::string> ids;
    for (const BasinConfig& b : other.basins) ids.push_back(b.id);
    std::vector<std::string> own_ids;
    for (const ModelBasin& b : m.basins) own_ids.push_back(b.id);
    require_same(ids == own_ids, "basins");
    own.json = other.json;
    own.path = other.path;
    select_basin(m, m.basins[m.selected].id);
    return m;
  }
  own.inputs = other.inputs;
  own.basin_area_km2 = other.basin_area_km2;
  own.train = other.train, own.validation = other.validation, own.test = other.test;
  own.path = other.path;
  return m;
}

EvaluationReport evaluate_to_files(const ModelEvaluation& e) {
  if (e.period != "train" && e.period != "validation" && e.period != "test")
    throw SettingError("period", "'" + e.period + "': expected train, validation or test");
  DischargeModel m = load_model_with_config(e.model, e.config, e.device);
  if (!e.basin.empty()) select_basin(m, e.basin);
  // A model of several basins scored on all of them: the scores of each, no plots.
  const bool all_basins = !m.basins.empty() && e.basin.empty();
  if (all_basins)
    for (const auto& [flag, given] : {std::pair{"plot", e.plot}, std::pair{"series", e.series},
                                      std::pair{"reliability", e.reliability}})
      if (!given.empty())
        throw SettingError(flag,
                           "a model of several basins draws one basin's: name it with the "
                           "basin setting");
  auto beside_output = [&](const std::string& given, const char* extension) {
    if (all_basins) return std::string();
    return given.empty() ? std::filesystem::path(e.output).replace_extension(extension).string()
                         : given;
  };
  std::filesystem::path reliability = e.output;
  reliability.replace_filename(reliability.stem().string() + "_reliability.png");
  EvaluationReport r{"", std::filesystem::path(e.output).replace_extension(".md").string(),
                     beside_output(e.plot, ".png"), beside_output(e.series, ".csv"),
                     all_basins              ? ""
                     : e.reliability.empty() ? reliability.string()
                                             : e.reliability};
  if (!e.markdown.empty()) r.markdown_path = e.markdown;
  for (const std::string& path :
       {e.output, r.markdown_path, r.series_path, r.plot_path, r.reliability_path})
    if (!path.empty()) r.files.push_back(path);
  std::vector<NamedPath> inputs = files_read(m.config, e.config);
  inputs.push_back({"model", e.model});
  check_outputs_spare_inputs({.inputs = inputs,
                              .output_files = {{"output", e.output},
                                               {"markdown", r.markdown_path},
                                               {"plot", r.plot_path},
                                               {"series", r.series_path},
                                               {"reliability", r.reliability_path}}});
  auto period_of = [&](const HydrologyConfig& c) {
    return e.period == "train" ? c.train : e.period == "validation" ? c.validation : c.test;
  };
  if (all_basins) {
    std::vector<BasinEvaluation> scores;
    for (const ModelBasin& b : m.basins) {
      select_basin(m, b.id);
      scores.push_back(
          {b.id, b.held_out,
           evaluate_discharge(m, load_inputs(m.config), period_of(m.config), e.period)});
    }
    r.markdown = to_markdown(scores);
    OutputSet out;
    out.add_text(e.output, to_json(scores).dump(2) + "\n");
    out.add_text(r.markdown_path, r.markdown);
    out.commit();
    return r;
  }
  const TimeSeries s = load_inputs(m.config);
  const Evaluation scores = evaluate_discharge(m, s, period_of(m.config), e.period);
  r.markdown = to_markdown(scores);
  OutputSet out;
  out.add_text(e.output, to_json(scores).dump(2) + "\n");
  out.add_text(r.markdown_path, r.markdown);
  out.add_text(r.series_path, series_csv(scores));
  write_line_plot(out.temp_for(r.plot_path), evaluation_hydrograph(scores, basin_area(m.config)));
  write_line_plot(out.temp_for(r.reliability_path), reliability_diagram(scores));
  out.commit();
  return r;
}

namespace {

// m3/s per mm/day over the basin, 1 (mm/day stays) when the area is unknown.
double m3s_per_mm_day(double area) {
  return area > 0 ? 1 / unit_conversion("m3/s", "mm/day", area).scale : 1;
}

}  // namespace

LinePlot evaluation_hydrograph(const Evaluation& e, double area) {
  const LeadSeries& s = e.series.front();  // the shortest lead
  const double scale = m3s_per_mm_day(area);
  const TimeUnit unit = time_unit(e.step);
  const std::string lead = ", lead " + steps_in_unit(s.lead, e.step) + " " + unit.name;
  LinePlot p{.title = "discharge, " + e.period_name + " period " + period_text(e.period, e.step) +
                      (e.mode == RunMode::forecasting ? lead : ", simulation"),
             .x_label = unit.name + " from " + format_step(e.period.first, e.step),
             .y_label = area > 0 ? "discharge (m3/s)" : "discharge (mm/day)"};
  auto line = [&](const std::string& name, const std::vector<double>& values) {
    LineSeries l{name, {}, {}};
    for (size_t k = 0; k < s.steps.size(); ++k) {
      l.x.push_back(double(s.steps[k] - e.period.first) * unit.per_step);
      l.y.push_back(values[k] * scale);
    }
    return l;
  };
  // The observation is drawn last, on top of the lines it is compared with.
  p.series = {line("10th pct", s.low), line("90th pct", s.high)};
  if (s.methods.count("gr4j")) p.series.push_back(line("gr4j", s.methods.at("gr4j")));
  p.series.push_back(line("network", s.methods.at("network")));
  p.series.push_back(line("observed", s.observed));
  return p;
}

LinePlot hydrograph(const TimeSeries& s, const HydrologyConfig& c,
                    const std::vector<ForecastRow>& rows, int64_t history, double area) {
  const double scale = m3s_per_mm_day(area);
  const Step issue = rows.front().issue;
  const TimeUnit unit = time_unit(s.step);
  LinePlot p{.title = "discharge forecast issued " + format_step(issue, s.step),
             .x_label = unit.name + " from " + format_step(issue, s.step),
             .y_label = area > 0 ? "discharge (m3/s)" : "discharge (mm/day)"};
  LineSeries observed{"observed", {}, {}};
  const std::vector<double>& q = s.at(c.discharge);
  for (Step d = std::max(s.first, issue - history); d <= issue; ++d) {
    observed.x.push_back(double(d - issue) * unit.per_step);
    observed.y.push_back(value_on(q, s.first, d) * scale);
  }
  // The mean, the 80% band (10th-90th percentile) and the 50% band (25th-75th).
  std::vector<LineSeries> lines = {{"forecast", {}, {}},
                                   {"10th pct", {}, {}},
                                   {"90th pct", {}, {}},
                                   {"25th pct", {}, {}},
                                   {"75th pct", {}, {}}};
  // Every forecast line starts at the issue day's observation, so the band visibly leaves it.
  const double now = observed.y.empty() ? NAN : observed.y.back();
  if (!std::isnan(now))
    for (LineSeries& l : lines) l.x.push_back(0), l.y.push_back(now);
  const std::vector<double>& levels = forecast_levels();
  for (const ForecastRow& r : rows) {
    const double values[] = {
        r.discharge, r.low, r.high,
        r.quantiles.empty() ? NAN : quantile_at(levels, r.quantiles.data(), 0.25),
        r.quantiles.empty() ? NAN : quantile_at(levels, r.quantiles.data(), 0.75)};
    for (size_t k = 0; k < lines.size(); ++k) {
      lines[k].x.push_back(double(r.lead) * unit.per_step);
      lines[k].y.push_back(values[k] * scale);
    }
  }
  p.series = {observed};
  p.series.insert(p.series.end(), lines.begin(), lines.end());
  for (const Threshold& t : c.thresholds) p.h_lines.push_back(threshold_mm_day(t, area) * scale);
  return p;
}

std::vector<PiSeries> forecast_pi_series(const std::vector<ForecastRow>& rows,
                                         const std::string& location, double area) {
  const double scale = m3s_per_mm_day(area);
  const std::vector<double>& levels = forecast_levels();
  std::vector<PiSeries> out;
  if (rows.empty()) return out;
  for (size_t k = 0; k <= levels.size(); ++k) {  // the mean, then each quantile
    PiSeries p;
    p.location = location;
    p.parameter = "Q.forecast";
    p.units = area > 0 ? "m3/s" : "mm/day";
    p.qualifier = k == 0 ? "" : pi_quantile_qualifier(levels[k - 1]);
    const int64_t step_seconds = rows.front().step.seconds;
    p.step_seconds = step_seconds;
    p.forecast_time = rows.front().issue * step_seconds;
    for (const ForecastRow& r : rows) {
      const double v = k == 0 ? r.discharge : k - 1 < r.quantiles.size() ? r.quantiles[k - 1] : NAN;
      p.events.push_back({r.target * step_seconds, v * scale});
    }
    out.push_back(p);
  }
  return out;
}

ForecastReport forecast_to_files(const ForecastIssue& f) {
  const bool latest = f.as_of == "latest";
  DischargeModel m = load_model_with_config(f.model, f.config, f.device);
  const TimeStep step = m.config.time_step;
  Step given = 0;
  if (!latest) {
    try {
      // A date alone issues as of its last step: the day's data is in.
      given = parse_step(f.as_of, step, true);
    } catch (const std::invalid_argument& e) {
      throw SettingError("as_of", e.what());
    }
  }
  if (!m.basins.empty() || !f.basin.empty()) select_basin(m, f.basin);
  std::vector<NamedPath> inputs = files_read(m.config, f.config);
  inputs.push_back({"model", f.model});
  check_outputs_spare_inputs(
      {.inputs = inputs,
       .output_files = {{"output", f.output}, {"plot", f.plot}, {"pi_xml", f.pi_xml}}});
  const TimeSeries s = load_inputs(m.config, DataUse::forecast);
  const Step as_of = latest ? s.last() : given;
  const std::vector<ForecastRow> rows = forecast_as_of(m, s, as_of);
  if (m.config.mode == RunMode::forecasting) {
    const std::string stale =
        require_recent_discharge(s, m.config.discharge, as_of, f.max_stale_days);
    if (f.warnings && !stale.empty()) *f.warnings << stale << "\n";
  }
  const double area = basin_area(m.config);
  const int64_t history = f.history > 0  ? std::max<int64_t>(1, steps_in_days(f.history, step))
                          : step.daily() ? 90
                                         : 8 * m.config.lead_times.back();
  ForecastReport r{forecast_csv(rows, area, m.config.thresholds)};
  OutputSet out;
  out.add_text(f.output, r.csv);
  if (!f.plot.empty())
    write_line_plot(out.temp_for(f.plot), hydrograph(s, m.config, rows, history, area));
  if (!f.pi_xml.empty()) {
    const std::string location = !f.location.empty() ? f.location
                                 : !f.basin.empty()
                                     ? f.basin
                                     : std::filesystem::path(m.config.path).stem().string();
    out.add_text(f.pi_xml, pi_timeseries_xml(forecast_pi_series(rows, location, area)));
  }
  out.commit();
  return r;
}

}  // namespace tessera::hydrology
