#include "tessera/data/trap_photo_folder.hpp"

#include <algorithm>
#include <filesystem>
#include <iomanip>
#include <sstream>

#include <opencv2/imgcodecs.hpp>

#include "tessera/data/trap_photo.hpp"
#include "tessera/io/atomic_file.hpp"
#include "tessera/io/output_check.hpp"
#include "tessera/io/settings.hpp"

namespace tessera::data {

namespace fs = std::filesystem;

namespace {

// The categories of `kinds`, in trap_categories' order.
std::vector<ecology::Category> kind_categories(const std::vector<std::string>& kinds) {
  const std::vector<ecology::Category> all = trap_categories();
  for (const std::string& k : kinds)
    if (std::none_of(all.begin(), all.end(),
                     [&](const ecology::Category& c) { return c.name == k; }))
      throw SettingError("kinds", "unknown kind '" + k + "' (moth, fly or beetle)");
  std::vector<ecology::Category> out;
  for (const ecology::Category& c : all)
    if (std::find(kinds.begin(), kinds.end(), c.name) != kinds.end()) out.push_back(c);
  return out;
}

// Photo k: trap A or B, at 22:00 on day 1 + k / 4 or at 03:00 the morning after.
std::string photo_name(int k) {
  const int night = k / 4, late = (k / 2) % 2;
  std::ostringstream name;
  name << "trap" << char('A' + k % 2) << "_202407" << std::setw(2) << std::setfill('0')
       << (1 + night + late) << (late ? "_0300" : "_2200") << ".jpg";
  return name.str();
}

}  // namespace

ecology::Dataset write_trap_photo_folder(const TrapPhotoFolder& f) {
  if (f.insect_size[0] > f.insect_size[1])
    throw SettingError("insect_size", "the smallest is larger than the largest");
  ecology::Dataset d;
  d.categories = kind_categories(f.kinds);
  std::vector<int> kinds;
  for (const ecology::Category& c : d.categories) kinds.push_back(int(c.id));
  check_outputs_spare_inputs({.output_folders = {{"output", f.folder}}});
  AtomicFolder out(f.folder);
  const fs::path dir(out.temp_path());
  for (int k = 0; k < f.photos; ++k) {
    const TrapPhoto p = make_trap_photo({.width = f.width,
                                         .height = f.height,
                                         .insects = f.insects,
                                         .min_size = f.insect_size[0],
                                         .max_size = f.insect_size[1],
                                         .categories = kinds,
                                         .seed = f.seed * 1000 + uint64_t(k)});
    const std::string name = photo_name(k);
    std::vector<uchar> jpeg;
    cv::imencode(".jpg", p.image, jpeg, {cv::IMWRITE_JPEG_QUALITY, 92});
    write_bytes((dir / name).string(),
                std::string_view(reinterpret_cast<const char*>(jpeg.data()), jpeg.size()),
                (fs::path(f.folder) / name).string());
    d.images.push_back({k + 1, name, p.image.cols, p.image.rows});
    for (ecology::Annotation a : p.insects) {
      a.image_id = k + 1;
      d.annotations.push_back(a);
    }
  }
  ecology::write_coco((dir / "annotations.json").string(), d);
  ecology::write_yolo((dir / "labels").string(), d);  // the same boxes as YOLO labels
  out.commit();
  return d;
}

}  // namespace tessera::data
