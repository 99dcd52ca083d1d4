// A discharge model as a file: the network's weights in a checkpoint, and in its metadata the
// config, the normalisation, GR4J, what training chose on the validation period and the basins.
#include <stdexcept>

#include "tessera/hydrology/discharge_model.hpp"
#include "tessera/io/checkpoint.hpp"

namespace tessera::hydrology {
namespace {

constexpr const char* kKind = "tessera.hydrology.discharge";

// What training chose on the validation period. Models from before it were a network alone
// with no quantile head and uncalibrated bands: they read as such.
void save_choice(nlohmann::json& meta, const DischargeModel& m) {
  nlohmann::json candidates = nlohmann::json::array();
  for (const Candidate& c : m.candidates)
    candidates.push_back({{"name", c.name}, {"nse", c.nse}, {"weight", c.weight}});
  meta["levels"] = m.levels;
  meta["hybrid"] = m.hybrid;
  meta["blend"] = m.blend;
  meta["calibration"] = m.calibration;
  meta["candidates"] = candidates;
  meta["choice"] = m.choice;
  meta["forecast_inputs"] = m.forecast_inputs;
  meta["ahead"] = m.ahead;
  meta["attribute_names"] = m.attribute_names;
  meta["attribute_mean"] = m.norm.attribute_mean;
  meta["attribute_sd"] = m.norm.attribute_sd;
  nlohmann::json basins = nlohmann::json::array();
  for (const ModelBasin& b : m.basins) {
    nlohmann::json j = {{"id", b.id}, {"attributes", b.attributes}, {"held_out", b.held_out}};
    if (b.baseline) j["gr4j"] = conceptual_to_json(*b.baseline);
    basins.push_back(j);
  }
  meta["basins"] = basins;
}

void load_choice(const nlohmann::json& meta, DischargeModel& m, const std::string& path) {
  const size_t leads = m.config.lead_times.size();
  bool ok = true;
  m.levels = meta.value("levels", std::vector<double>{});
  m.hybrid = meta.value("hybrid", false);
  m.blend = meta.value("blend", std::vector<double>(leads, 1.0));
  m.calibration = meta.value("calibration", std::vector<std::vector<double>>{});
  m.choice = meta.value("choice", "network");
  m.forecast_inputs = meta.value("forecast_inputs", std::vector<std::string>{});
  m.ahead = meta.value("ahead", int64_t{0});
  m.attribute_names = meta.value("attribute_names", std::vector<std::string>{});
  m.norm.attribute_mean = meta.value("attribute_mean", std::vector<double>{});
  m.norm.attribute_sd = meta.value("attribute_sd", std::vector<double>{});
  for (const nlohmann::json& b : meta.value("basins", nlohmann::json::array())) {
    ModelBasin basin{b.at("id").get<std::string>(),
                     b.at("attributes").get<std::vector<double>>(),
                     {},
                     b.at("held_out").get<bool>()};
    if (b.contains("gr4j")) basin.baseline = conceptual_from_json(b.at("gr4j"), path + ": basin");
    ok = ok && basin.attributes.size() == m.attribute_names.size();
    m.basins.push_back(basin);
  }
  ok = ok && m.norm.attribute_mean.size() == m.attribute_names.size() &&
       m.norm.attribute_sd.size() == m.attribute_names.size();
  for (const nlohmann::json& c : meta.value("candidates", nlohmann::json::array()))
    m.candidates.push_back({c.at("name").get<std::string>(), c.at("nse").get<std::vector<double>>(),
                            c.at("weight").get<std::vector<double>>()});
  ok = ok && m.blend.size() == leads && (m.calibration.empty() || m.calibration.size() == leads);
  for (const auto& shifts : m.calibration) ok = ok && shifts.size() == forecast_levels().size();
  for (double level : m.levels) ok = ok && level > 0 && level < 1;
  ok = ok && (!m.hybrid || m.baseline);
  if (!ok)
    throw std::runtime_error(path +
                             ": discharge model's calibration does not match its lead times");
}

}  // namespace

void save_discharge_model(const std::string& path, DischargeModel& m) {
  nlohmann::json meta = {{"kind", kKind},
                         {"config", m.config.json},
                         {"inputs", m.inputs},
                         {"input_units", m.input_units},
                         {"mean", m.norm.mean},
                         {"sd", m.norm.sd},
                         {"target_mean", m.norm.target_mean},
                         {"target_sd", m.norm.target_sd},
                         {"epochs", m.epochs},
                         {"validation_nse", m.validation_nse}};
  save_choice(meta, m);
  if (m.baseline) meta["gr4j"] = conceptual_to_json(*m.baseline);
  save_checkpoint(path, *m.network, nullptr, m.epochs, meta);
}

DischargeModel load_discharge_model(const std::string& path) {
  Checkpoint ck = load_checkpoint(path);
  const nlohmann::json& meta = ck.metadata;
  if (meta.value("kind", "") != kKind)
    throw std::runtime_error(path +
                             ": not a tessera discharge model (a checkpoint of another "
                             "kind)");
  DischargeModel m;
  try {
    m.config = parse_config(meta.at("config"), "/", "model " + path);
    m.inputs = meta.at("inputs").get<std::vector<std::string>>();
    m.input_units = meta.value("input_units", std::vector<std::string>(m.inputs.size()));
    m.norm = {meta.at("mean").get<std::vector<double>>(), meta.at("sd").get<std::vector<double>>(),
              meta.at("target_mean").get<double>(), meta.at("target_sd").get<double>()};
    m.epochs = meta.at("epochs").get<int>();
    m.validation_nse = meta.at("validation_nse").get<double>();
    if (meta.contains("gr4j"))
      m.baseline = conceptual_from_json(meta.at("gr4j"), path + ": GR4J baseline");
    load_choice(meta, m, path);
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(path + ": discharge model metadata is damaged: " + e.what());
  }
  if (m.norm.mean.size() != m.inputs.size() || m.norm.sd.size() != m.inputs.size())
    throw std::runtime_error(path + ": discharge model normalisation does not match its inputs");
  m.network = std::move(ck.model);
  if (!m.basins.empty()) select_basin(m, m.basins.front().id);
  return m;
}

}  // namespace tessera::hydrology
