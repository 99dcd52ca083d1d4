// tessera hydrology: river discharge and dam inflow. synth (a generated catchment and its
// config), train (LSTM ensemble + calibrated GR4J), evaluate (skill per lead time against
// GR4J, persistence and climatology), forecast (as of a day: CSV with an uncertainty band and a
// hydrograph); and ET correction by water-budget closure: closure (the residual per basin),
// train-et, evaluate-et, correct-et (a gridded product, month by month).
#include <iomanip>
#include <iostream>

#include "commands.hpp"
#include "shared_options.hpp"
#include "tessera/data/catchment_folder.hpp"
#include "tessera/hydrology/et/et_workflow.hpp"
#include "tessera/hydrology/workflow.hpp"

namespace tessera::app {

using namespace tessera::hydrology;

namespace {

void add_synth(CLI::App* group) {
  auto* cmd = group->add_subcommand("synth", "Generate a catchment's daily series and a config");
  auto o = std::make_shared<data::CatchmentFolder>();
  cmd->add_option("--output", o->folder, "folder for catchment.csv and catchment.yaml")->required();
  auto* years =
      cmd->add_option("--years", o->catchment.years, "years of data (default 12 daily, 4 hourly)")
          ->check(CLI::Range(int64_t{4}, int64_t{200}));
  cmd->add_option("--time-step", o->time_step,
                  "1d: a snowy catchment's daily series; 1h: a small catchment's hourly weather, "
                  "daily evaporation and 5-minute gauge")
      ->check(CLI::IsMember({"1d", "1h"}))
      ->capture_default_str();
  cmd->add_option("--mode", o->mode, "forecasting or simulation")
      ->check(CLI::IsMember({"forecasting", "simulation"}))
      ->capture_default_str();
  add_shared_options(cmd, {.seed = &o->catchment.seed});
  cmd->callback([o, years] {
    if (o->time_step == "1h" && years->count() == 0) o->catchment.years = 4;
    const data::CatchmentFiles f = data::write_catchment_folder(*o);
    std::cout << "generated catchment, " << format_date(f.first) << " to " << format_date(f.last)
              << " -> " << f.csv << ", config " << f.config << "\n";
  });
}

void add_train(CLI::App* group) {
  auto* cmd =
      group->add_subcommand("train", "Train the LSTM ensemble and calibrate GR4J from a config");
  auto o = std::make_shared<ModelTraining>();
  auto quiet = std::make_shared<bool>(false);
  cmd->add_option("--config", o->config, "run config (.yaml, .yml or .json)")->required();
  cmd->add_option("--output", o->output, "model to write (.h5)")->required();
  cmd->add_option("--gr4j-runs", o->gr4j_runs, "model runs to calibrate GR4J")
      ->check(CLI::Range(10, 1000000))
      ->capture_default_str();
  cmd->add_flag("--quiet", *quiet, "no per-epoch lines");
  add_shared_options(cmd, {.run = &o->run, .device = &o->run.device});
  cmd->callback([o, quiet] {
    o->log = &std::cout;
    o->epoch_lines = !*quiet;
    const DischargeModel m = train_from_config(*o);
    std::cout << "model (epoch " << m.epochs << ", validation NSE " << std::setprecision(3)
              << m.validation_nse << ") -> " << o->output << "\n";
    std::cerr << device_note(o->run.device);
  });
}

void add_evaluate(CLI::App* group) {
  auto* cmd = group->add_subcommand(
      "evaluate",
      "NSE, KGE, bias, peak-flow and peak-timing error, CRPS, band coverage and Brier scores per "
      "lead time, with baselines");
  auto o = std::make_shared<ModelEvaluation>();
  cmd->add_option("--model", o->model, "model from hydrology train")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--config", o->config, "config whose inputs and periods replace the model's");
  cmd->add_option("--period", o->period, "period to score")
      ->check(CLI::IsMember({"train", "validation", "test"}))
      ->capture_default_str();
  cmd->add_option("--output", o->output, "scores to write (.json)")->required();
  cmd->add_option("--markdown", o->markdown, "table to write (default: --output with .md)");
  cmd->add_option("--plot", o->plot, "hydrograph PNG to write (default: --output with .png)");
  cmd->add_option("--series", o->series,
                  "per-step values CSV to write (default: --output with .csv)");
  cmd->add_option("--basin", o->basin,
                  "a model of several basins: the basin to score (default: all, no plots)");
  cmd->add_option("--reliability", o->reliability,
                  "reliability diagram PNG to write (default: --output with _reliability.png)");
  add_shared_options(cmd, {.device = &o->device});
  cmd->callback([o] {
    const EvaluationReport r = evaluate_to_files(*o);
    std::cout << r.markdown << "\nscores -> " << list_names(r.files) << "\n";
    std::cerr << device_note(o->device);
  });
}

void add_forecast(CLI::App* group) {
  auto* cmd =
      group->add_subcommand("forecast", "Discharge at each lead time from the data up to a day");
  auto o = std::make_shared<ForecastIssue>();
  cmd->add_option("--model", o->model, "model from hydrology train")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--as-of", o->as_of,
                  "issue day YYYY-MM-DD, or time \"YYYY-MM-DD hh:mm\" (UTC) for sub-daily models, "
                  "or 'latest': later data is unused")
      ->required();
  cmd->add_option("--output", o->output, "forecast CSV to write")->required();
  cmd->add_option("--plot", o->plot, "hydrograph PNG to write, with the bands and thresholds");
  cmd->add_option("--pi-xml", o->pi_xml,
                  "Delft-FEWS PI-XML time series to write (mean and quantiles, m3/s when the "
                  "basin area is known)");
  cmd->add_option("--basin", o->basin, "a model of several basins: the basin to forecast");
  cmd->add_option("--location", o->location,
                  "PI-XML locationId (default: the config's file name without extension)");
  cmd->add_option("--config", o->config, "config whose inputs replace the model's");
  cmd->add_option("--history", o->history,
                  "days of observed discharge in the plot (default: 90 for daily models, 8 times "
                  "the longest lead for sub-daily ones)")
      ->check(CLI::Range(0.01, 3650.0));
  cmd->add_option("--max-stale-days", o->max_stale_days,
                  "refuse when the last observed discharge is older than this")
      ->check(CLI::Range(int64_t{0}, int64_t{36500}))
      ->capture_default_str();
  add_shared_options(cmd, {.device = &o->device});
  cmd->callback([o] {
    o->warnings = &std::cerr;
    const ForecastReport r = forecast_to_files(*o);
    std::cout << r.csv << "forecast -> " << o->output << (o->plot.empty() ? "" : ", " + o->plot)
              << (o->pi_xml.empty() ? "" : ", " + o->pi_xml) << "\n";
    std::cerr << device_note(o->device);
  });
}

void add_closure(CLI::App* group) {
  auto* cmd = group->add_subcommand(
      "closure", "Water-budget residual P - ET - R - dS/dt per basin and month, with a report");
  auto o = std::make_shared<et::ClosureRequest>();
  cmd->add_option("--config", o->config, "budget config (.yaml or .json)")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--output", o->output, "report to write (.json)")->required();
  cmd->add_option("--markdown", o->markdown, "table to write (default: --output with .md)");
  cmd->add_option("--plot", o->plot, "residual chart to write (default: --output with .png)");
  cmd->callback([o] {
    const et::ClosureReport r = et::closure_to_files(*o);
    std::cout << r.markdown << "\nreport -> " << list_names(r.files) << "\n";
  });
}

void add_train_et(CLI::App* group) {
  auto* cmd = group->add_subcommand(
      "train-et", "Train a bounded correction of an ET product from basin closure residuals");
  auto o = std::make_shared<et::EtTrainingRequest>();
  auto fold = std::make_shared<int64_t>(-2);
  cmd->add_option("--config", o->config, "budget config with features and model settings")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--output", o->output, "model to write (.h5)")->required();
  cmd->add_option("--fold", *fold,
                  "hold out this fold of basins (0 to folds - 1; -1: train on every basin; "
                  "default: the config's model.fold, else -1)")
      ->check(CLI::Range(int64_t{-1}, int64_t{1000}));
  cmd->callback([o, fold] {
    if (*fold != -2) o->fold = *fold;
    o->log = &std::cout;
    const et::EtTrainingReport r = et::train_et_to_file(*o);
    std::cout << "model (" << r.training_basins << " basins, " << r.held_out_basins << " held out, "
              << std::setprecision(3) << r.seconds << " s) -> " << o->output << "\n";
    if (r.held_out)
      std::cout << "held-out basins: residual RMS " << r.held_out->rms_before << " -> "
                << r.held_out->rms_after << " mm/month (" << 100 * r.held_out->reduction
                << "% less), mean |change| " << 100 * r.held_out->mean_abs_change << "% of ET\n";
  });
}

void add_evaluate_et(CLI::App* group) {
  auto* cmd = group->add_subcommand(
      "evaluate-et",
      "Closure on held-out basins before and after correction, against monthly factors and "
      "towers");
  auto o = std::make_shared<et::EtEvaluationRequest>();
  cmd->add_option("--model", o->model, "model from train-et: score the basins it held out")
      ->check(CLI::ExistingFile);
  cmd->add_option("--config", o->config,
                  "config (default: the model's); with --folds, the one to cross-validate")
      ->check(CLI::ExistingFile);
  cmd->add_option("--folds", o->folds,
                  "train one model per fold of basins and score every basin held out")
      ->check(CLI::Range(int64_t{2}, int64_t{1000}));
  cmd->add_option("--output", o->output, "scores to write (.json)")->required();
  cmd->add_option("--markdown", o->markdown, "table to write (default: --output with .md)");
  cmd->callback([o] {
    o->log = &std::cout;
    const et::EtEvaluationReport r = et::evaluate_et_to_files(*o);
    std::cout << r.markdown << "\nscores -> " << list_names(r.files) << "\n";
  });
}

void add_correct_et(CLI::App* group) {
  auto* cmd = group->add_subcommand(
      "correct-et", "Correct a gridded ET product with a train-et model (CF NetCDF out)");
  auto o = std::make_shared<et::EtCorrectionRequest>();
  auto first = std::make_shared<std::string>();
  cmd->add_option("--model", o->model, "model from train-et")->required()->check(CLI::ExistingFile);
  cmd->add_option("--input", o->input, "the product's monthly grid (NetCDF, GeoTIFF), mm/month")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--variable", o->variable, "NetCDF variable (default: the only one)");
  cmd->add_option("--feature", o->features,
                  "NAME=GRID for each other product the model reads (as named in its config)");
  cmd->add_option("--first-month", *first, "YYYY-MM of band 1 for grids without a time axis");
  cmd->add_option("--output", o->output, "corrected grid to write (.nc)")->required();
  cmd->callback([o, first] {
    if (!first->empty()) o->first_month = et::parse_month(*first);
    o->command_line = "tessera hydrology correct-et --model " + o->model + " --input " + o->input;
    const et::EtCorrectionReport r = et::correct_et_to_file(*o);
    std::cout << r.months << " months of " << r.cells << " cells corrected (mean |change| "
              << std::setprecision(3) << 100 * r.mean_abs_change << "% of ET) -> " << o->output
              << "\n";
  });
}

}  // namespace

void add_hydrology_command(CLI::App& app) {
  auto* group = app.add_subcommand(
      "hydrology",
      "River discharge and dam inflow forecasting; ET correction by water-budget closure");
  group->require_subcommand(1);
  add_synth(group);
  add_train(group);
  add_evaluate(group);
  add_forecast(group);
  add_closure(group);
  add_train_et(group);
  add_evaluate_et(group);
  add_correct_et(group);
}

}  // namespace tessera::app
