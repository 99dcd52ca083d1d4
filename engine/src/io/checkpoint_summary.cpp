#include <stdexcept>

#include "tessera/io/checkpoint.hpp"
#include "tessera/tile/receptive_field.hpp"

namespace tessera {

namespace {

// Spatial axes from the first weight (N, C and 1, 2 or 3 of them), for the receptive field.
int spatial_dims(Module& m) {
  for (Param* p : m.parameters())
    if (p->value.shape().size() >= 4) return int(p->value.shape().size()) - 2;
  return 0;
}

}  // namespace

nlohmann::json describe_checkpoint(const std::string& path) {
  Checkpoint ck = load_checkpoint(path);
  Module& m = *ck.model;
  nlohmann::json j = {{"file", path},
                      {"network", m.type()},
                      {"parameters", m.parameter_count()},
                      {"step", ck.step},
                      {"optimizer", ck.optimizer ? ck.optimizer->config() : nlohmann::json()},
                      {"metadata", ck.metadata}};
  if (const int dims = spatial_dims(m); dims > 0) {
    try {
      const ReceptiveField f = receptive_field(m, dims);
      j["receptive_field"] = {{"radius", f.radius}, {"halo", f.halo()}, {"stride", f.stride}};
    } catch (const std::invalid_argument& e) {
      j["receptive_field"] = e.what();  // not tileable: say why
    }
  }
  return j;
}

}  // namespace tessera
