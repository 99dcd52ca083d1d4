#pragma once
// A camera's sensor noise, in the raw numbers (DN) the camera records: what `video synth`
// draws noise from, what `video calibrate` measures, what a denoiser is conditioned on.
//
//   CameraProfile p = read_camera_profile("noise_models/crvd_imx385_noise_params.json",
//                                         {.iso = 3200});
//   double v = p.variance_at(100.0);   // DN^2 of a pixel that caught 100 electrons
//
// Three files are read: a profile `video calibrate` wrote (its own JSON), the Poisson-Gaussian
// table per ISO of the CRVD IMX385 set ("a_shot_gain", "b_read_var"), and the physics-based
// ELD model of Wei et al. 2020 ("Kmin", "Kmax", "G_shape", "Profile-1" laws in log K).
#include <string>

#include <nlohmann/json_fwd.hpp>

namespace tessera::video {

// noisy DN = round(gain * Poisson(electrons) + read + row + black_level), clipped to
// [0, white_level]; read is Gaussian, or Tukey-lambda of shape tukey_lambda when tukey_read
// (ELD's heavier-tailed read noise), of standard deviation read_noise_dn either way; row is one
// Gaussian draw per row and frame.
struct CameraProfile {
  std::string name{};
  double gain = 1;           // system gain K, DN per electron
  double read_noise_dn = 0;  // standard deviation of the read noise, DN
  bool tukey_read = false;   // read noise Tukey-lambda rather than Gaussian
  double tukey_lambda = 0;   // its shape (0: logistic)
  double row_noise_dn = 0;   // standard deviation of the per-row offset, DN
  double black_level = 0;    // DN of no light
  double white_level = 255;  // largest DN the camera records
  int bits = 8;              // effective bits of the raw values

  // Variance (DN^2) of a pixel that caught `electrons`, before clipping: shot, read, row and
  // the quantisation step's 1/12.
  double variance_at(double electrons) const;
};

// Which entry of a table a profile file holds: the ISO of a CRVD-style table (0: the middle
// one), the system gain of an ELD model (0: the geometric middle of its range).
struct ProfileChoice {
  double iso = 0;
  double gain = 0;
};

// Reads any of the three kinds; throws std::runtime_error naming the file when it is missing,
// not one of them, or holds impossible numbers, and std::invalid_argument when the choice is
// not in the table (an ISO it lacks, a gain outside Kmin..Kmax).
CameraProfile read_camera_profile(const std::string& path, const ProfileChoice& choice = {});

// The profile as a JSON document `read_camera_profile` reads back; written by write_camera_profile
// atomically (a temporary file renamed into place).
nlohmann::json camera_profile_json(const CameraProfile& p);
void write_camera_profile(const CameraProfile& p, const std::string& path);
// The profile camera_profile_json wrote (unchecked; check_camera_profile); throws
// std::runtime_error naming `source` when a number is missing.
CameraProfile camera_profile_from_json(const nlohmann::json& j, const std::string& source);

// Throws std::invalid_argument naming `source` unless every number is finite and possible
// (gain > 0, noise >= 0, black < white, bits 1..32).
void check_camera_profile(const CameraProfile& p, const std::string& source);

// The variance of a Tukey-lambda variable of scale 1 (lambda 0: the logistic, pi^2 / 3); NaN
// where it has none (lambda <= -1/2).
double tukey_lambda_variance(double lambda);

// The Tukey-lambda quantile function Q(u) = (u^l - (1-u)^l) / l, log(u / (1-u)) at l = 0.
double tukey_lambda_quantile(double u, double lambda);

}  // namespace tessera::video
