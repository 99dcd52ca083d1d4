#pragma once
// Learning-rate schedules: a pure function of the step, so resuming needs only the step.
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace tessera {

struct LrSchedule {
  enum class Kind { constant, step, cosine };
  Kind kind = Kind::constant;
  double base_lr = 0.01;
  int64_t warmup_steps = 0;  // linear ramp from base_lr/warmup_steps up to base_lr
  int64_t step_size = 1000;  // step: multiply by gamma every step_size steps (after warm-up)
  double gamma = 0.1;
  int64_t total_steps = 1000;  // cosine: decay from base_lr to min_lr over total_steps
  double min_lr = 0.0;

  double lr_at(int64_t step) const;  // step counts from 0
  nlohmann::json to_json() const;
  static LrSchedule from_json(const nlohmann::json& j);  // throws on unknown kinds
};

}  // namespace tessera
