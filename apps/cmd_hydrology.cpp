// tessera hydrology: river discharge and dam inflow. synth (a generated catchment and its
// config), train (LSTM ensemble + calibrated GR4J), evaluate (skill per lead time against
// GR4J, persistence and climatology), forecast (as of a day: CSV with an uncertainty band and a
// hydrograph).
#include <cmath>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "commands.hpp"
#include "options.hpp"
#include "tessera/data/catchment.hpp"
#include "tessera/formats/line_plot.hpp"
#include "tessera/hydrology/baselines.hpp"
#include "tessera/hydrology/csv_writer.hpp"
#include "tessera/hydrology/evaluation.hpp"
#include "tessera/hydrology/forecast.hpp"
#include "tessera/hydrology/units.hpp"

namespace tessera::app {

using namespace tessera::hydrology;

namespace {

std::string period_text(const Period& p) {
  return format_date(p.first) + " to " + format_date(p.last);
}

int64_t missing_days(const std::vector<double>& v) {
  return std::count_if(v.begin(), v.end(), [](double x) { return std::isnan(x); });
}

// ---- synth ----

struct SynthOptions {
  std::string output;
  int64_t years = 12;
  std::string mode = "forecasting";
  uint64_t seed = 0;
};

std::string synth_config(const SynthOptions& o, Day first, int64_t days) {
  const int64_t years = std::max<int64_t>(4, o.years);
  const CivilDate start = civil_date(first);
  auto year = [&](int64_t k) { return std::to_string(start.year + k); };
  std::ostringstream c;
  c << "# A generated catchment (tessera hydrology synth): daily weather and the discharge of a\n"
    << "# known GR4J + snow model with noise. Edit and train with\n"
    << "#   tessera hydrology train --config "
    << "catchment.yaml --output model.h5\n"
    << "mode: " << o.mode << "\n"
    << "inputs:\n"
    << "  - csv: catchment.csv\n"
    << "    units: {rain: mm/day, snow: mm/day, pet: mm/day, tmin: degC, tmax: degC, "
       "discharge: m3/s}\n"
    << "basin_area_km2: 1000\n"
    << "discharge: discharge\n"
    << "forcings: [rain, snow, tmin, tmax, pet]\n"
    << "gr4j: {precipitation: [rain, snow], evaporation: pet, temperature: [tmin, tmax], "
       "snowfall: snow}\n"
    << "periods:\n"
    << "  train: [" << year(0) << "-01-01, " << year(years - 3) << "-12-31]\n"
    << "  validation: [" << year(years - 2) << "-01-01, " << year(years - 2) << "-12-31]\n"
    << "  test: [" << year(years - 1) << "-01-01, " << format_date(first + days - 1) << "]\n";
  if (o.mode == "forecasting") c << "lead_times: [1, 2, 3]\n";
  c << "model: {sequence_length: 180, hidden: 24, ensemble: 3, epochs: 12, samples_per_epoch: "
       "1024, batch: 128, lr: 0.003, patience: 6}\n";
  return c.str();
}

void synth(const SynthOptions& o) {
  const DailySeries s = data::make_catchment({.years = o.years, .seed = o.seed});
  std::filesystem::create_directories(o.output);
  const std::string csv = (std::filesystem::path(o.output) / "catchment.csv").string();
  const std::string yaml = (std::filesystem::path(o.output) / "catchment.yaml").string();
  write_text(csv, to_csv(s));
  write_text(yaml, synth_config(o, s.first, s.days));
  std::cout << "generated catchment, " << period_text({s.first, s.last()}) << " -> " << csv
            << ", config " << yaml << "\n";
}

// ---- train ----

struct TrainOptions {
  std::string config, output;
  int gr4j_runs = 4000;
  bool quiet = false;
};

void describe_data(const HydrologyConfig& c, const DailySeries& s) {
  std::cout << "data " << period_text({s.first, s.last()}) << " (" << s.days << " days); "
            << "discharge '" << c.discharge << "' in mm/day, " << missing_days(s.at(c.discharge))
            << " days missing\n";
}

void train(const TrainOptions& o) {
  HydrologyConfig c = read_config(o.config);
  const DailySeries s = load_inputs(c);
  describe_data(c, s);
  std::optional<ConceptualModel> baseline;
  if (has_gr4j_inputs(c)) {
    baseline = calibrate_baseline(c, s, o.gr4j_runs);
    const ConceptualModel& b = *baseline;
    std::cout << "GR4J" << (c.gr4j.temperature.empty() ? "" : " + snow") << " calibrated on "
              << period_text(c.train) << ": NSE " << std::fixed << std::setprecision(3) << b.nse
              << std::setprecision(2) << " (x1 " << b.gr4j.x1 << ", x2 " << b.gr4j.x2 << ", x3 "
              << b.gr4j.x3 << ", x4 " << b.gr4j.x4;
    if (!c.gr4j.temperature.empty())
      std::cout << ", melt " << b.snow.melt_factor << " mm/degC/day above " << b.snow.threshold
                << " degC";
    std::cout << ")" << std::defaultfloat << "\n";
  }
  std::vector<std::string> leads;
  for (int64_t d : c.lead_times) leads.push_back(std::to_string(d));
  std::cout << "training " << c.model.ensemble << " LSTMs (hidden " << c.model.hidden << ", "
            << c.model.sequence_length << "-day windows) on " << list_names(model_inputs(c))
            << " for "
            << (c.mode == RunMode::simulation ? "simulation"
                                              : "lead times of " + list_names(leads) + " days")
            << "\n";
  DischargeModel m = train_discharge_model(c, s, [&](const EpochReport& r) {
    if (o.quiet) return;
    std::cout << "  epoch " << r.epoch << "  loss " << std::setprecision(4) << r.train_loss
              << "  validation NSE " << std::setprecision(3) << r.validation_nse
              << (r.kept ? "  (kept)" : "") << "  " << std::setprecision(3) << r.seconds << " s"
              << std::endl;
  });
  m.baseline = baseline;
  save_discharge_model(o.output, m);
  std::cout << "model (epoch " << m.epochs << ", validation NSE " << std::setprecision(3)
            << m.validation_nse << ") -> " << o.output << "\n";
}

// ---- evaluate / forecast ----

// The model, with the inputs and periods of `config` in place of its own when one is given
// (data moved, a new period to score). The config must describe the same model.
DischargeModel load_model(const std::string& path, const std::string& config) {
  DischargeModel m = load_discharge_model(path);
  if (config.empty()) return m;
  const HydrologyConfig other = read_config(config);
  HydrologyConfig& own = m.config;
  auto require_same = [&](bool same, const char* what) {
    if (!same)
      throw std::invalid_argument("--config " + config + ": its " + what +
                                  " differs from the model's (train a model on it)");
  };
  require_same(other.mode == own.mode, "mode");
  require_same(other.discharge == own.discharge, "discharge");
  require_same(other.forcings == own.forcings, "forcings");
  require_same(other.lead_times == own.lead_times, "lead_times");
  own.inputs = other.inputs;
  own.basin_area_km2 = other.basin_area_km2;
  own.train = other.train, own.validation = other.validation, own.test = other.test;
  own.path = other.path;
  return m;
}

struct EvaluateOptions {
  std::string model, config, period = "test", output, markdown;
};

void evaluate(const EvaluateOptions& o) {
  DischargeModel m = load_model(o.model, o.config);
  const DailySeries s = load_inputs(m.config);
  const Period p = o.period == "train"        ? m.config.train
                   : o.period == "validation" ? m.config.validation
                                              : m.config.test;
  const Evaluation e = evaluate_discharge(m, s, p, o.period);
  const std::string md = to_markdown(e);
  std::filesystem::path markdown = o.markdown;
  if (markdown.empty()) markdown = std::filesystem::path(o.output).replace_extension(".md");
  OutputSet out;
  out.add_text(o.output, to_json(e).dump(2) + "\n");
  out.add_text(markdown.string(), md);
  out.commit();
  std::cout << md << "\nscores -> " << o.output << ", " << markdown.string() << "\n";
}

struct ForecastOptions {
  std::string model, config, as_of, output, plot;
  int64_t history = 90;
};

// Observed discharge of the last `history` days and the forecast with its band, in m3/s when
// the basin area is known.
LinePlot hydrograph(const DailySeries& s, const HydrologyConfig& c,
                    const std::vector<ForecastRow>& rows, int64_t history, double area) {
  const double scale = area > 0 ? 1 / unit_conversion("m3/s", "mm/day", area).scale : 1;
  const Day issue = rows.front().issue;
  LinePlot p{.title = "discharge forecast issued " + format_date(issue),
             .x_label = "days from " + format_date(issue),
             .y_label = area > 0 ? "discharge (m3/s)" : "discharge (mm/day)"};
  LineSeries observed{"observed", {}, {}};
  const std::vector<double>& q = s.at(c.discharge);
  for (Day d = std::max(s.first, issue - history); d <= issue; ++d) {
    observed.x.push_back(double(d - issue));
    observed.y.push_back(value_on(q, s.first, d) * scale);
  }
  LineSeries mean{"forecast", {}, {}}, low{"10th pct", {}, {}}, high{"90th pct", {}, {}};
  // Every forecast line starts at the issue day's observation, so the band visibly leaves it.
  const double now = observed.y.empty() ? NAN : observed.y.back();
  if (!std::isnan(now))
    for (LineSeries* l : {&mean, &low, &high}) l->x.push_back(0), l->y.push_back(now);
  for (const ForecastRow& r : rows) {
    for (LineSeries* l : {&mean, &low, &high}) l->x.push_back(double(r.lead));
    mean.y.push_back(r.discharge * scale);
    low.y.push_back(r.low * scale);
    high.y.push_back(r.high * scale);
  }
  p.series = {observed, mean, low, high};
  return p;
}

Day option_date(const std::string& text, const char* option) {
  try {
    return parse_date(text);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(std::string(option) + ": " + e.what());
  }
}

void forecast(const ForecastOptions& o) {
  const bool latest = o.as_of == "latest";
  const Day given = latest ? 0 : option_date(o.as_of, "--as-of");
  DischargeModel m = load_model(o.model, o.config);
  const DailySeries s = load_inputs(m.config, DataUse::forecast);
  const Day as_of = latest ? s.last() : given;
  if (m.config.mode == RunMode::forecasting &&
      std::isnan(value_on(s.at(m.config.discharge), s.first, as_of)) && as_of >= s.first &&
      as_of <= s.last())
    std::cerr << "warning: no discharge observed on " << format_date(as_of)
              << "; the forecast reads it as missing\n";
  const std::vector<ForecastRow> rows = forecast_as_of(m, s, as_of);
  const double area = basin_area(m.config);
  OutputSet out;
  out.add_text(o.output, forecast_csv(rows, area));
  if (!o.plot.empty())
    write_line_plot(out.temp_for(o.plot), hydrograph(s, m.config, rows, o.history, area));
  out.commit();
  std::cout << forecast_csv(rows, area) << "forecast -> " << o.output
            << (o.plot.empty() ? "" : ", " + o.plot) << "\n";
}

}  // namespace

void add_hydrology_command(CLI::App& app) {
  auto* group = app.add_subcommand("hydrology", "River discharge and dam inflow forecasting");
  group->require_subcommand(1);

  auto* cmd = group->add_subcommand("synth", "Generate a catchment's daily series and a config");
  auto so = std::make_shared<SynthOptions>();
  cmd->add_option("--output", so->output, "folder for catchment.csv and catchment.yaml")
      ->required();
  cmd->add_option("--years", so->years, "years of daily data")
      ->check(CLI::Range(int64_t{4}, int64_t{200}))
      ->capture_default_str();
  cmd->add_option("--mode", so->mode, "forecasting or simulation")
      ->check(CLI::IsMember({"forecasting", "simulation"}))
      ->capture_default_str();
  cmd->add_option("--seed", so->seed, "random seed")->capture_default_str();
  cmd->callback([so] { synth(*so); });

  cmd = group->add_subcommand("train", "Train the LSTM ensemble and calibrate GR4J from a config");
  auto to = std::make_shared<TrainOptions>();
  cmd->add_option("--config", to->config, "run config (.yaml, .yml or .json)")->required();
  cmd->add_option("--output", to->output, "model to write (.h5)")->required();
  cmd->add_option("--gr4j-runs", to->gr4j_runs, "model runs to calibrate GR4J")
      ->check(CLI::Range(10, 1000000))
      ->capture_default_str();
  cmd->add_flag("--quiet", to->quiet, "no per-epoch lines");
  cmd->callback([to] { train(*to); });

  cmd = group->add_subcommand("evaluate",
                              "NSE, KGE, bias and peak-flow error per lead time, with baselines");
  auto eo = std::make_shared<EvaluateOptions>();
  cmd->add_option("--model", eo->model, "model from hydrology train")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--config", eo->config, "config whose inputs and periods replace the model's");
  cmd->add_option("--period", eo->period, "period to score")
      ->check(CLI::IsMember({"train", "validation", "test"}))
      ->capture_default_str();
  cmd->add_option("--output", eo->output, "scores to write (.json)")->required();
  cmd->add_option("--markdown", eo->markdown, "table to write (default: --output with .md)");
  cmd->callback([eo] { evaluate(*eo); });

  cmd = group->add_subcommand("forecast", "Discharge at each lead time from the data up to a day");
  auto fo = std::make_shared<ForecastOptions>();
  cmd->add_option("--model", fo->model, "model from hydrology train")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--as-of", fo->as_of, "issue day YYYY-MM-DD (or 'latest'): later data is unused")
      ->required();
  cmd->add_option("--output", fo->output, "forecast CSV to write")->required();
  cmd->add_option("--plot", fo->plot, "hydrograph PNG to write");
  cmd->add_option("--config", fo->config, "config whose inputs replace the model's");
  cmd->add_option("--history", fo->history, "days of observed discharge in the plot")
      ->check(CLI::Range(int64_t{1}, int64_t{3650}))
      ->capture_default_str();
  cmd->callback([fo] { forecast(*fo); });
}

}  // namespace tessera::app
