#include "tessera/train/schedule.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <stdexcept>
#include <string>
#include <vector>

#include "tessera/io/settings.hpp"

namespace tessera {
namespace {

const char* kind_name(LrSchedule::Kind k) {
  switch (k) {
    case LrSchedule::Kind::step:
      return "step";
    case LrSchedule::Kind::cosine:
      return "cosine";
    case LrSchedule::Kind::constant:
      break;
  }
  return "constant";
}

constexpr const char* kWhat = "learning-rate schedule";

LrSchedule::Kind parse_kind(const std::string& s) {
  if (s == "constant") return LrSchedule::Kind::constant;
  if (s == "step") return LrSchedule::Kind::step;
  if (s == "cosine") return LrSchedule::Kind::cosine;
  throw std::invalid_argument("unknown learning-rate schedule kind '" + s +
                              "'; known: constant, step, cosine");
}

// Settings that would divide by zero or run backwards are caught when the schedule is read.
void validate(const LrSchedule& s) {
  if (s.base_lr < 0 || s.min_lr < 0 || s.warmup_steps < 0 || s.step_size <= 0 ||
      s.total_steps < 0 || s.gamma < 0)
    throw std::invalid_argument("invalid learning-rate schedule " + s.to_json().dump() +
                                ": need base_lr, min_lr, warmup_steps, total_steps, gamma >= 0 "
                                "and step_size > 0");
}

}  // namespace

double LrSchedule::lr_at(int64_t step) const {
  if (step < 0) throw std::invalid_argument("lr_at: negative step " + std::to_string(step));
  if (step < warmup_steps) return base_lr * double(step + 1) / double(warmup_steps);
  const int64_t t = step - warmup_steps;  // steps since the end of warm-up
  switch (kind) {
    case Kind::constant:
      return base_lr;
    case Kind::step:
      return base_lr * std::pow(gamma, double(t / step_size));
    case Kind::cosine: {
      const int64_t span = total_steps - warmup_steps;
      // A decay span of zero (total <= warm-up) has already ended.
      const double progress = span > 0 ? std::min(1.0, double(t) / double(span)) : 1.0;
      return min_lr + 0.5 * (base_lr - min_lr) * (1 + std::cos(std::numbers::pi * progress));
    }
  }
  return base_lr;
}

nlohmann::json LrSchedule::to_json() const {
  return {{"kind", kind_name(kind)}, {"base_lr", base_lr}, {"warmup_steps", warmup_steps},
          {"step_size", step_size},  {"gamma", gamma},     {"total_steps", total_steps},
          {"min_lr", min_lr}};
}

LrSchedule LrSchedule::from_json(const nlohmann::json& j) {
  if (!j.is_object())
    throw std::invalid_argument("learning-rate schedule must be a JSON object: " + j.dump());
  const Settings in(j, kWhat);
  in.only({"kind", "base_lr", "warmup_steps", "step_size", "gamma", "total_steps", "min_lr"});
  LrSchedule s;
  std::string kind = kind_name(s.kind);
  in.read("kind", kind);
  s.kind = parse_kind(kind);
  in.read("base_lr", s.base_lr);
  in.read("warmup_steps", s.warmup_steps);
  in.read("step_size", s.step_size);
  in.read("gamma", s.gamma);
  in.read("total_steps", s.total_steps);
  in.read("min_lr", s.min_lr);
  validate(s);
  return s;
}

}  // namespace tessera
