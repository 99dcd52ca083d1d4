#include <stdexcept>
#include <string>

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

// The metadata for people: text longer than a few lines (a serialised forest, a table) said by
// its length, not printed.
nlohmann::json readable(const nlohmann::json& j) {
  constexpr size_t kLongText = 400;
  if (j.is_string() && j.get_ref<const std::string&>().size() > kLongText) {
    std::string said = "(";  // appended: GCC 12 misreads "(" + to_string(...) (-Wrestrict)
    said.append(std::to_string(j.get_ref<const std::string&>().size())).append(" characters)");
    return said;
  }
  if (!j.is_structured()) return j;
  nlohmann::json out = j;
  for (auto& [key, value] : out.items()) value = readable(value);
  return out;
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
                      {"metadata", readable(ck.metadata)}};
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
