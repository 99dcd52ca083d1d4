#include "tessera/data/catchment_folder.hpp"

#include <algorithm>
#include <filesystem>
#include <sstream>

#include "tessera/hydrology/csv_writer.hpp"
#include "tessera/io/atomic_file.hpp"
#include "tessera/io/output_check.hpp"
#include "tessera/io/settings.hpp"

namespace tessera::data {

using hydrology::Day;

namespace {

// The periods split the years: all but the last two to train, then one each to validate and
// to test (at least four years, so each has one).
std::string catchment_config(const CatchmentFolder& f, Day first, int64_t days) {
  const int64_t years = std::max<int64_t>(4, f.catchment.years);
  const hydrology::CivilDate start = hydrology::civil_date(first);
  auto year = [&](int64_t k) { return std::to_string(start.year + k); };
  std::ostringstream c;
  c << "# A generated catchment (tessera hydrology synth): daily weather and the discharge of a\n"
    << "# known GR4J + snow model with noise. Edit and train with\n"
    << "#   tessera hydrology train --config catchment.yaml --output model.h5\n"  // cli-text
    << "mode: " << f.mode << "\n"
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
    << "  test: [" << year(years - 1) << "-01-01, " << hydrology::format_date(first + days - 1)
    << "]\n";
  if (f.mode == "forecasting") c << "lead_times: [1, 2, 3]\n";
  c << "model: {sequence_length: 180, hidden: 24, ensemble: 3, epochs: 12, samples_per_epoch: "
       "1024, batch: 128, lr: 0.003, patience: 6}\n";
  return c.str();
}

// Periods as catchment_config's, on hours; leads of an hour to half a day.
std::string hourly_config(const CatchmentFolder& f, Day first, Day last) {
  const int64_t years = std::max<int64_t>(4, f.catchment.years);
  const hydrology::CivilDate start = hydrology::civil_date(first);
  auto year = [&](int64_t k) { return std::to_string(start.year + k); };
  std::ostringstream c;
  c << "# A generated small catchment (tessera hydrology synth --time-step 1h): hourly weather,\n"  // cli-text
    << "# daily evaporation and a 5-minute gauge, resampled to hours; GR4H is the baseline.\n"
    << "mode: " << f.mode << "\n"
    << "time_step: 1h\n"
    << "inputs:\n"
    << "  - csv: gauge_5min.csv\n"
    << "    units: {discharge: m3/s}\n"
    << "  - csv: weather_hourly.csv\n"
    << "    units: {rain: mm, temperature: degC}\n"
    << "  - csv: pet_daily.csv\n"
    << "    units: {pet: mm/day}\n"
    << "basin_area_km2: " << f.hourly.area_km2 << "\n"
    << "discharge: discharge\n"
    << "forcings: [rain, temperature, pet]\n"
    << "gr4j: {precipitation: [rain], evaporation: pet}\n"
    << "periods:\n"
    << "  train: [" << year(0) << "-01-01, " << year(years - 3) << "-12-31]\n"
    << "  validation: [" << year(years - 2) << "-01-01, " << year(years - 2) << "-06-30]\n"
    << "  test: [" << year(years - 2) << "-07-01, " << hydrology::format_date(last) << "]\n";
  if (f.mode == "forecasting") c << "lead_times: [1, 3, 6, 12]\n";
  c << "model: {sequence_length: 72, hidden: 24, ensemble: 3, epochs: 10, samples_per_epoch: "
       "2048, batch: 128, lr: 0.003, patience: 5}\n";
  return c.str();
}

CatchmentFiles write_hourly_folder(const CatchmentFolder& f) {
  HourlyCatchmentOptions o = f.hourly;
  o.years = f.catchment.years;
  o.seed = f.catchment.seed;
  const HourlyCatchment c = make_hourly_catchment(o);
  const std::filesystem::path dir(f.folder);
  const Day last = c.evaporation.last();
  CatchmentFiles files{(dir / "gauge_5min.csv").string(), (dir / "catchment.yaml").string(),
                       c.evaporation.first, last};
  AtomicFolder out(f.folder);
  const std::filesystem::path temp(out.temp_path());
  const std::pair<const char*, const hydrology::TimeSeries*> tables[] = {
      {"gauge_5min.csv", &c.gauge},
      {"weather_hourly.csv", &c.weather},
      {"pet_daily.csv", &c.evaporation}};
  for (const auto& [name, series] : tables)
    write_bytes((temp / name).string(), hydrology::to_csv(*series), (dir / name).string());
  write_bytes((temp / "catchment.yaml").string(), hourly_config(f, c.evaporation.first, last),
              files.config);
  out.commit();
  return files;
}

}  // namespace

CatchmentFiles write_catchment_folder(const CatchmentFolder& f) {
  if (f.mode != "forecasting" && f.mode != "simulation")
    throw SettingError("mode", "'" + f.mode + "': expected forecasting or simulation");
  if (f.time_step != "1d" && f.time_step != "1h")
    throw SettingError("time_step", "'" + f.time_step + "': expected 1d or 1h");
  check_outputs_spare_inputs({.output_folders = {{"output", f.folder}}});
  if (f.time_step == "1h") return write_hourly_folder(f);
  const hydrology::TimeSeries s = make_catchment(f.catchment);
  const std::filesystem::path dir(f.folder);
  CatchmentFiles files{(dir / "catchment.csv").string(), (dir / "catchment.yaml").string(), s.first,
                       s.last()};
  AtomicFolder out(f.folder);
  const std::filesystem::path temp(out.temp_path());
  write_bytes((temp / "catchment.csv").string(), hydrology::to_csv(s), files.csv);
  write_bytes((temp / "catchment.yaml").string(), catchment_config(f, s.first, s.length),
              files.config);
  out.commit();
  return files;
}

}  // namespace tessera::data
