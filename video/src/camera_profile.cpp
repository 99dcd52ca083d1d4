// Camera profiles: one struct for the three files the suite meets (its own, the CRVD table per
// ISO, the ELD laws in log K), so synthesis and denoising never ask which kind they were given.
#include "tessera/video/camera_profile.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <stdexcept>
#include <vector>

#include "tessera/io/atomic_file.hpp"
#include "tessera/io/json_text.hpp"

namespace tessera::video {

namespace {

constexpr const char* kFormat = "tessera camera profile";

double number_at(const nlohmann::json& j, const char* key, const std::string& path) {
  if (!j.contains(key) || !j[key].is_number())
    throw std::runtime_error("'" + path + "': '" + key + "' is missing or not a number");
  return j[key].get<double>();
}

std::vector<double> numbers_at(const nlohmann::json& j, const char* key, const std::string& path) {
  if (!j.contains(key) || !j[key].is_array() || j[key].empty())
    throw std::runtime_error("'" + path + "': '" + key + "' is missing or not a list of numbers");
  std::vector<double> v;
  for (const auto& x : j[key]) {
    if (!x.is_number())
      throw std::runtime_error("'" + path + "': '" + key + "' holds something not a number");
    v.push_back(x.get<double>());
  }
  return v;
}

// CRVD: noisy = a * Poisson(x / a) + N(0, b): a is the gain, b the read variance, per ISO.
CameraProfile crvd_profile(const nlohmann::json& j, const std::string& path, double iso) {
  const std::vector<double> isos = numbers_at(j, "iso", path);
  const std::vector<double> a = numbers_at(j, "a_shot_gain", path);
  const std::vector<double> b = numbers_at(j, "b_read_var", path);
  if (a.size() != isos.size() || b.size() != isos.size())
    throw std::runtime_error("'" + path +
                             "': 'iso', 'a_shot_gain' and 'b_read_var' differ in length");
  size_t k = isos.size() / 2;
  if (iso > 0) {
    const auto at = std::find(isos.begin(), isos.end(), iso);
    if (at == isos.end()) {
      std::string known;
      for (double i : isos) known += (known.empty() ? "" : ", ") + std::to_string(int(i));
      throw std::invalid_argument("'" + path + "' has no ISO " + std::to_string(int(iso)) +
                                  " (it has " + known + ")");
    }
    k = size_t(at - isos.begin());
  }
  CameraProfile p;
  p.name = "IMX385 ISO " + std::to_string(int(isos[k]));
  p.gain = a[k];
  p.read_noise_dn = std::sqrt(std::max(0.0, b[k]));
  p.black_level = j.value("black_level", 0.0);
  p.white_level = j.value("white_level", 4095.0);
  p.bits = int(std::lround(std::log2(p.white_level + 1)));
  return p;
}

// ELD: log(scale) = slope * log(K) + bias for the Tukey-lambda read noise (G) and the row noise
// (R); the laws' own scatter ("sigma") is left out, so a profile is the law's middle.
double eld_law(const nlohmann::json& law, double log_gain, const std::string& path) {
  return std::exp(number_at(law, "slope", path) * log_gain + number_at(law, "bias", path));
}

CameraProfile eld_profile(const nlohmann::json& j, const std::string& path, double gain) {
  const double lo = number_at(j, "Kmin", path), hi = number_at(j, "Kmax", path);
  if (!(lo > 0 && hi >= lo)) throw std::runtime_error("'" + path + "': Kmin..Kmax is not a range");
  if (gain > 0 && (gain < lo * (1 - 1e-9) || gain > hi * (1 + 1e-9)))
    throw std::invalid_argument("'" + path + "': gain " + std::to_string(gain) +
                                " is outside its range " + std::to_string(lo) + " .. " +
                                std::to_string(hi));
  const double k = gain > 0 ? gain : std::sqrt(lo * hi);
  if (!j.contains("Profile-1") || !j["Profile-1"].is_object())
    throw std::runtime_error("'" + path + "': 'Profile-1' (the laws in log K) is missing");
  const auto& laws = j["Profile-1"];
  const std::vector<double> shapes = numbers_at(j, "G_shape", path);
  CameraProfile p;
  p.name = "ELD at K " + std::to_string(k);
  p.gain = k;
  p.tukey_read = true;
  double mean_shape = 0;
  for (double s : shapes) mean_shape += s / double(shapes.size());
  p.tukey_lambda = mean_shape;
  // The law gives the Tukey-lambda scale; the profile keeps the standard deviation.
  p.read_noise_dn = eld_law(laws.at("G_scale"), std::log(k), path) *
                    std::sqrt(tukey_lambda_variance(p.tukey_lambda));
  p.row_noise_dn = eld_law(laws.at("R_scale"), std::log(k), path);
  // ELD's files keep no black or white level: those of its 14-bit Sony A7S2 raws.
  p.black_level = j.value("black_level", 512.0);
  p.white_level = j.value("white_level", 16383.0);
  p.bits = 14;
  return p;
}

}  // namespace

CameraProfile camera_profile_from_json(const nlohmann::json& j, const std::string& path) {
  CameraProfile p;
  p.name = j.value("name", std::string("calibrated"));
  p.gain = number_at(j, "gain_dn_per_electron", path);
  p.read_noise_dn = number_at(j, "read_noise_dn", path);
  p.tukey_read = j.value("read_noise", std::string("gaussian")) == "tukey-lambda";
  p.tukey_lambda = j.value("tukey_lambda", 0.0);
  p.row_noise_dn = j.value("row_noise_dn", 0.0);
  p.black_level = number_at(j, "black_level", path);
  p.white_level = number_at(j, "white_level", path);
  p.bits = int(number_at(j, "bits", path));
  return p;
}

double CameraProfile::variance_at(double electrons) const {
  return gain * gain * electrons + read_noise_dn * read_noise_dn + row_noise_dn * row_noise_dn +
         1.0 / 12.0;
}

double tukey_lambda_variance(double lambda) {
  if (std::abs(lambda) < 1e-9) return std::numbers::pi * std::numbers::pi / 3;
  if (lambda <= -0.5) return std::nan("");
  const double g = std::tgamma(lambda + 1);
  return 2 / (lambda * lambda) * (1 / (1 + 2 * lambda) - g * g / std::tgamma(2 * lambda + 2));
}

double tukey_lambda_quantile(double u, double lambda) {
  if (std::abs(lambda) < 1e-9) return std::log(u / (1 - u));
  return (std::pow(u, lambda) - std::pow(1 - u, lambda)) / lambda;
}

void check_camera_profile(const CameraProfile& p, const std::string& source) {
  auto bad = [&](const std::string& what) {
    throw std::invalid_argument("camera profile '" + source + "': " + what);
  };
  for (double x :
       {p.gain, p.read_noise_dn, p.tukey_lambda, p.row_noise_dn, p.black_level, p.white_level})
    if (!std::isfinite(x)) bad("a number is not finite");
  if (p.gain <= 0) bad("the gain must be above 0 DN per electron");
  if (p.read_noise_dn < 0 || p.row_noise_dn < 0) bad("a noise level is negative");
  if (p.tukey_read && !(p.tukey_lambda > -0.5)) bad("the Tukey lambda must be above -0.5");
  if (p.black_level < 0 || p.black_level >= p.white_level)
    bad("the black level must be below white");
  if (p.bits < 1 || p.bits > 32) bad("bits must be 1 to 32");
}

CameraProfile read_camera_profile(const std::string& path, const ProfileChoice& choice) {
  const nlohmann::json j = read_json_file(path);
  if (!j.is_object())
    throw std::runtime_error("'" + path + "' is not a camera profile (JSON object)");
  CameraProfile p;
  if (j.value("format", std::string()) == kFormat)
    p = camera_profile_from_json(j, path);
  else if (j.contains("a_shot_gain"))
    p = crvd_profile(j, path, choice.iso);
  else if (j.contains("Kmin"))
    p = eld_profile(j, path, choice.gain);
  else
    throw std::runtime_error("'" + path +
                             "' is not a camera profile: neither a calibrated profile, a CRVD "
                             "table (a_shot_gain) nor an ELD model (Kmin)");
  if (choice.iso > 0 && !j.contains("a_shot_gain"))
    throw std::invalid_argument("'" + path + "' has no ISO table; leave the ISO out");
  check_camera_profile(p, path);
  return p;
}

nlohmann::json camera_profile_json(const CameraProfile& p) {
  return {{"format", kFormat},
          {"name", p.name},
          {"gain_dn_per_electron", p.gain},
          {"read_noise_dn", p.read_noise_dn},
          {"read_noise", p.tukey_read ? "tukey-lambda" : "gaussian"},
          {"tukey_lambda", p.tukey_lambda},
          {"row_noise_dn", p.row_noise_dn},
          {"black_level", p.black_level},
          {"white_level", p.white_level},
          {"bits", p.bits}};
}

void write_camera_profile(const CameraProfile& p, const std::string& path) {
  check_camera_profile(p, path);
  write_atomically(path, camera_profile_json(p).dump(2) + "\n");
}

}  // namespace tessera::video
