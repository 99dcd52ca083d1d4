#include "tessera/data/micrograph_folder.hpp"

#include <filesystem>
#include <random>
#include <sstream>
#include <stdexcept>
#include <vector>

#include <opencv2/imgcodecs.hpp>

#include "tessera/io/atomic_file.hpp"
#include "tessera/io/output_check.hpp"
#include "tessera/io/settings.hpp"

namespace tessera::data {

namespace {

constexpr double kPresent = 0.02;  // of the area, as the UHCS tags count a phase

const char* kHeader = "has_matrix,has_network,has_spheroidite,has_widmanstatten";

// ",1,0,1,0": each phase's presence in `labels`.
std::string presence(const cv::Mat& labels) {
  std::vector<int64_t> count(kPhases, 0);
  for (int y = 0; y < labels.rows; ++y)
    for (int x = 0; x < labels.cols; ++x) ++count[labels.at<uint8_t>(y, x)];
  std::string out;
  for (int64_t c : count) out += double(c) > kPresent * double(labels.total()) ? ",1" : ",0";
  return out;
}

void write_png(const std::filesystem::path& path, const cv::Mat& m) {
  if (!cv::imwrite(path.string(), m)) throw std::runtime_error(path.string() + ": cannot write");
}

void check(const MicrographFolder& f) {
  auto within = [](const char* name, int v, int lo, int hi) {
    if (v < lo || v > hi)
      throw SettingError(name, std::to_string(v) + " is out of range (" + std::to_string(lo) +
                                   " to " + std::to_string(hi) + ")");
  };
  within("specimens", f.specimens, 1, 1000);
  within("images_per_specimen", f.images_per_specimen, 1, 1000);
  within("width", f.width, 32, 8192);
  within("height", f.height, 32, 8192);
  within("tile_rows", f.tile_rows, 1, f.height / 8);
  within("tile_cols", f.tile_cols, 1, f.width / 8);
}

}  // namespace

void write_micrograph_folder(const MicrographFolder& f) {
  check(f);
  check_outputs_spare_inputs({.output_folders = {{"output", f.folder}}});
  AtomicFolder out(f.folder);
  const std::filesystem::path temp(out.temp_path());
  std::filesystem::create_directories(temp / "images");
  std::filesystem::create_directories(temp / "labels");
  std::ostringstream image_tags, tile_tags, metadata;
  image_tags << "name," << kHeader << "\n";
  tile_tags << "name,tile_row,tile_col,y0,y1,x0,x1," << kHeader << "\n";
  metadata << "name,specimen,um_per_px,anneal,particle_radius_um\n";
  std::mt19937_64 rng(f.seed), anneals(f.seed + 1);
  std::uniform_real_distribution<double> u(0, 1);
  for (int s = 0; s < f.specimens; ++s) {
    // A specimen's heat treatment: its own shares of the phases.
    MicrographOptions o{.width = f.width, .height = f.height};
    o.network_share = 0.2 + 0.7 * u(rng);
    o.spheroidite_share = 0.6 * u(rng);
    o.widmanstatten_share = 0.3 * u(rng);
    const bool long_anneal = s % 2 == 1;
    o.particle_size = long_anneal ? 1.6 + 0.8 * u(anneals) : 0.8 + 0.4 * u(anneals);
    const double radius_um = 2 * o.particle_size * f.um_per_px;  // radii 1..3 px, times the size
    for (int i = 0; i < f.images_per_specimen; ++i) {
      o.seed = rng();
      const SyntheticMicrograph m = make_micrograph(o);
      std::string name = "s";  // appended: GCC 12 misreads "s" + to_string(...) (-Wrestrict)
      name += std::to_string(s);
      name += '_';
      name += std::to_string(i);
      write_png(temp / "images" / (name + ".png"), m.image);
      write_png(temp / "labels" / (name + ".png"), m.labels);
      image_tags << name << presence(m.labels) << "\n";
      for (int r = 0; r < f.tile_rows; ++r)
        for (int c = 0; c < f.tile_cols; ++c) {
          const int y0 = r * f.height / f.tile_rows, y1 = (r + 1) * f.height / f.tile_rows;
          const int x0 = c * f.width / f.tile_cols, x1 = (c + 1) * f.width / f.tile_cols;
          tile_tags << name << "," << r << "," << c << "," << y0 << "," << y1 << "," << x0 << ","
                    << x1 << presence(m.labels(cv::Range(y0, y1), cv::Range(x0, x1))) << "\n";
        }
      metadata << name << ",s" << s << "," << f.um_per_px << "," << (long_anneal ? "long" : "short")
               << "," << radius_um << "\n";
    }
  }
  for (const auto& [file, text] :
       {std::pair{"tags_image.csv", image_tags.str()}, std::pair{"tags_tiles.csv", tile_tags.str()},
        std::pair{"metadata.csv", metadata.str()}})
    write_bytes((temp / file).string(), text, (std::filesystem::path(f.folder) / file).string());
  out.commit();
}

}  // namespace tessera::data
