// tessera ecology: insects on trap photographs. synth (generated photos with boxes), train
// (centre-heatmap detector), detect (tiled; COCO results, CSV, annotated JPEGs), count (per
// photo and class, per night and trap), evaluate (mAP, precision / recall, count error).
#include <algorithm>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>

#include <opencv2/imgcodecs.hpp>

#include "commands.hpp"
#include "options.hpp"
#include "tessera/data/trap_photo.hpp"
#include "tessera/ecology/capture_info.hpp"
#include "tessera/ecology/counts.hpp"
#include "tessera/ecology/detection_files.hpp"
#include "tessera/ecology/detection_metrics.hpp"
#include "tessera/ecology/detector.hpp"
#include "tessera/ecology/photos.hpp"
#include "training_options.hpp"

namespace tessera::app {

using namespace tessera::ecology;
namespace fs = std::filesystem;

namespace {

bool is_yolo(const std::string& annotations) {
  return fs::is_directory(annotations) || fs::path(annotations).extension() == ".txt";
}

// The annotated photos: COCO JSON, or a folder of YOLO labels (the photos' sizes from the
// photos themselves).
Dataset read_annotations(const std::string& annotations, const std::string& images) {
  if (!fs::exists(annotations)) throw std::runtime_error(annotations + ": no such file");
  if (!is_yolo(annotations)) return read_coco(annotations);
  const std::string folder =
      fs::is_directory(annotations) ? annotations : fs::path(annotations).parent_path().string();
  std::vector<ImageInfo> infos;
  for (const std::string& file : list_photos(images)) {
    const cv::Mat m = read_photo((fs::path(images) / file).string());
    infos.push_back({int64_t(infos.size()) + 1, file, m.cols, m.rows});
  }
  return read_yolo(folder, infos);
}

// The photos to work on: those the annotations list, or every photo in the folder (ids 1..n).
std::vector<ImageInfo> photo_list(const std::string& images, const std::string& annotations) {
  if (!annotations.empty()) return read_annotations(annotations, images).images;
  std::vector<ImageInfo> infos;
  for (const std::string& file : list_photos(images))
    infos.push_back({int64_t(infos.size()) + 1, file, 0, 0});
  return infos;
}

// ---- synth ----

struct SynthOptions {
  std::string output;
  int photos = 8;
  std::vector<int> size = {1024, 768};
  int insects = 60;
  std::vector<double> insect_size = {14, 60};
  std::vector<std::string> kinds = {"moth", "fly", "beetle"};
  uint64_t seed = 0;
};

void synth(const SynthOptions& o) {
  if (o.insect_size[0] > o.insect_size[1])
    throw std::invalid_argument("--insect-size: the smallest is larger than the largest");
  std::vector<int> kinds;
  std::vector<Category> categories;
  for (const Category& c : data::trap_categories())
    if (std::find(o.kinds.begin(), o.kinds.end(), c.name) != o.kinds.end())
      kinds.push_back(int(c.id)), categories.push_back(c);
  Dataset d;
  d.categories = categories;
  const fs::path dir(o.output);
  fs::create_directories(dir);
  OutputSet out;
  for (int k = 0; k < o.photos; ++k) {
    const data::TrapPhoto p = data::make_trap_photo({.width = o.size[0],
                                                     .height = o.size[1],
                                                     .insects = o.insects,
                                                     .min_size = o.insect_size[0],
                                                     .max_size = o.insect_size[1],
                                                     .categories = kinds,
                                                     .seed = o.seed * 1000 + uint64_t(k)});
    // Two traps photographed at 22:00 and at 03:00 the next morning, night after night, named
    // as camera scripts often do, so that `count --name-pattern` has nights to find.
    const int night = k / 4, late = (k / 2) % 2;
    std::ostringstream name;
    name << "trap" << char('A' + k % 2) << "_202407" << std::setw(2) << std::setfill('0')
         << (1 + night + late) << (late ? "_0300" : "_2200") << ".jpg";
    std::vector<uchar> jpeg;
    cv::imencode(".jpg", p.image, jpeg, {cv::IMWRITE_JPEG_QUALITY, 92});
    out.add_text((dir / name.str()).string(), std::string(jpeg.begin(), jpeg.end()));
    d.images.push_back({k + 1, name.str(), p.image.cols, p.image.rows});
    for (ecology::Annotation a : p.insects) {
      a.image_id = k + 1;
      d.annotations.push_back(a);
    }
  }
  write_coco(out.temp_for((dir / "annotations.json").string()), d);
  out.commit();
  write_yolo((dir / "labels").string(), d);  // the same boxes as YOLO labels
  std::cout << o.photos << " synthetic trap photos with " << d.annotations.size() << " insects -> "
            << (dir / "annotations.json").string() << ", labels/ (YOLO)\n";
}

// ---- train ----

struct TrainOptions {
  std::string images, annotations, output;
  int steps = 2000;
  int64_t patch = 256, batch = 8;
  std::vector<int64_t> channels = {16, 32, 64, 128};
  int calibration = 16;
  uint64_t seed = 0;
  TrainingOptions training{};
};

void train(const TrainOptions& o) {
  const Dataset d = read_annotations(o.annotations, o.images);
  std::cout << "reading " << d.images.size() << " photos with " << d.annotations.size()
            << " boxes in " << d.categories.size() << " categories\n";
  const std::vector<Category> classes = annotated_categories(d);
  for (const Category& c : d.categories)
    if (std::none_of(classes.begin(), classes.end(),
                     [&](const Category& k) { return k.id == c.id; }))
      std::cout << "  category " << c.id << " '" << c.name << "' has no boxes: left out\n";
  const std::vector<TrainingPhoto> photos = training_photos(d, o.images);
  std::cout << "training a centre-heatmap U-Net (channels "
            << to_string(Shape(o.channels.begin(), o.channels.end())) << ") with "
            << o.training.optimizer << ", " << o.steps << " steps of " << o.batch << " crops of "
            << o.patch << " px" << std::endl;
  Detector det = train_detector(photos, classes,
                                {.patch = o.patch,
                                 .batch = o.batch,
                                 .steps = o.steps,
                                 .channels = o.channels,
                                 .optimizer = o.training.optimizer,
                                 .lr = o.training.lr,
                                 .calibration_photos = o.calibration,
                                 .seed = o.seed,
                                 .progress = [](int step, float loss) {
                                   std::cout << "  step " << step << "  loss " << loss << std::endl;
                                 }});
  save_detector(o.output, det);
  std::cout << "score threshold for counts " << det.score_threshold << "\nmodel -> " << o.output
            << "\n";
}

// ---- detect ----

struct DetectOptions {
  std::string model, images, output, annotations, max_memory = "1G";
  double min_score = 0.05;
  int64_t max_detections = 3000;
  double threshold = -1;  // < 0: the model's
  bool annotated = true, whole = false;
};

struct DetectionRun {
  Detector detector;
  std::vector<ImageInfo> images;
  std::vector<Annotation> detections;
  double threshold = 0;
};

// Detects on `photos` (from --images), printing the count of each.
DetectionRun run_detector(const DetectOptions& o, std::vector<ImageInfo> photos) {
  DetectionRun r{load_detector(o.model), std::move(photos), {}, 0};
  r.threshold = o.threshold >= 0 ? o.threshold : r.detector.score_threshold;
  const std::size_t budget = parse_bytes(o.max_memory, "--max-memory");
  for (ImageInfo& info : r.images) {
    const cv::Mat bgr = read_annotated_photo(o.images, info);
    info.width = bgr.cols, info.height = bgr.rows;
    const auto boxes =
        detect_photo(r.detector, bgr, info.id,
                     {.decode = {.min_score = o.min_score, .max_detections = o.max_detections},
                      .tile = {.max_memory = budget},
                      .whole = o.whole});
    const auto counted = std::count_if(boxes.begin(), boxes.end(),
                                       [&](const Annotation& a) { return a.score >= r.threshold; });
    std::cout << "  " << info.file_name << ": " << counted << " insects" << std::endl;
    r.detections.insert(r.detections.end(), boxes.begin(), boxes.end());
  }
  return r;
}

// Each photo with its boxes, as JPEG under the photo's own name (".jpg" added to other types,
// so that a.png and a.jpg stay two files).
void draw_photos(const DetectOptions& o, const DetectionRun& r, const fs::path& folder) {
  std::map<int64_t, std::vector<Annotation>> by_image;
  for (const Annotation& a : r.detections) by_image[a.image_id].push_back(a);
  for (const ImageInfo& info : r.images) {
    const cv::Mat drawn =
        draw_detections(read_photo((fs::path(o.images) / info.file_name).string()),
                        by_image[info.id], r.detector.categories, r.threshold);
    std::string ext = fs::path(info.file_name).extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), ::tolower);
    // A name from annotations may climb out ("../x.jpg"); its drawing stays in the folder.
    fs::path name = fs::path(info.file_name).lexically_normal();
    if (name.is_absolute() || *name.begin() == "..") name = name.filename();
    const fs::path file =
        folder / (name.string() + (ext == ".jpg" || ext == ".jpeg" ? "" : ".jpg"));
    fs::create_directories(file.parent_path());
    if (!cv::imwrite(file.string(), drawn, {cv::IMWRITE_JPEG_QUALITY, 90}))
      throw std::runtime_error(file.string() + ": cannot write");
  }
}

// Outputs inside the photo folder would be read as photos by the next run.
void check_output_outside(const std::string& output, const std::string& images) {
  const fs::path out = fs::weakly_canonical(output), in = fs::weakly_canonical(images);
  const auto [end, _] = std::mismatch(in.begin(), in.end(), out.begin(), out.end());
  if (end == in.end())
    throw std::invalid_argument("--output " + output + " is inside --images " + images +
                                "; its pictures would be counted as photos next time");
}

void detect(const DetectOptions& o) {
  const fs::path dir(o.output);
  if (fs::exists(dir) && !fs::is_directory(dir))
    throw std::runtime_error(o.output + ": exists and is not a folder");
  check_output_outside(o.output, o.images);
  const DetectionRun r = run_detector(o, photo_list(o.images, o.annotations));
  fs::create_directories(dir);
  std::optional<AtomicFolder> drawn;
  if (o.annotated) {
    drawn.emplace((dir / "annotated").string());
    draw_photos(o, r, drawn->temp_path());
  }
  OutputSet out;
  write_coco_results(out.temp_for((dir / "detections.json").string()), r.detections);
  out.add_text((dir / "detections.csv").string(),
               detections_csv(r.images, r.detector.categories, r.detections));
  out.add_text((dir / "photos.json").string(),
               detection_photos_json({{r.images, r.detector.categories, {}}, r.threshold}));
  out.commit();
  if (drawn)
    drawn->commit();
  else
    fs::remove_all(dir / "annotated");  // a previous run's pictures would not match
  std::cout << r.detections.size() << " boxes on " << r.images.size() << " photos -> "
            << (dir / "detections.json").string() << ", detections.csv, photos.json"
            << (o.annotated ? ", annotated/" : "") << "\n";
}

// `--model` to detect now, or `--detections` from an earlier run: exactly one.
void check_one_source(const char* command, const DetectOptions& d, const std::string& detections) {
  if (d.model.empty() == detections.empty())
    throw std::invalid_argument(std::string(command) +
                                " needs --model (to detect) or --detections (from detect), "
                                "not both");
}

// ---- count ----

struct CountOptions {
  DetectOptions detect{};
  std::string detections, output, pattern, metadata;
  bool exif = true;
};

void count(const CountOptions& o) {
  check_one_source("count", o.detect, o.detections);
  const std::optional<FileNamePattern> pattern =
      o.pattern.empty() ? std::nullopt : std::optional(FileNamePattern(o.pattern));
  const std::optional<CaptureTable> table =
      o.metadata.empty() ? std::nullopt : std::optional(CaptureTable::read_csv(o.metadata));
  const CaptureSources sources{table ? &*table : nullptr, pattern ? &*pattern : nullptr, o.exif};

  // The photos and their capture times first: a bad date fails before any detection work.
  std::vector<ImageInfo> images;
  std::vector<Category> categories;
  double threshold = o.detect.threshold;
  const fs::path run(o.detections);
  if (!o.detections.empty()) {
    DetectionPhotos p = read_detection_photos((run / "photos.json").string());
    images = p.photos.images, categories = p.photos.categories;
    if (threshold < 0) threshold = p.score_threshold;
  } else {
    images = photo_list(o.detect.images, o.detect.annotations);
  }
  std::vector<CaptureInfo> captures;
  for (const ImageInfo& i : images) {
    if (!fs::is_regular_file(fs::path(o.detect.images) / i.file_name))
      throw std::runtime_error("photo " + i.file_name + " of " + o.detections +
                               " is not under --images " + o.detect.images);
    captures.push_back(capture_info(o.detect.images, i.file_name, sources));
  }
  if ((pattern || table) &&
      std::none_of(captures.begin(), captures.end(),
                   [](const CaptureInfo& c) { return c.time || !c.trap.empty(); }))
    std::cerr << "warning: neither --name-pattern nor --metadata matched any photo\n";

  std::vector<Annotation> detections;
  if (!o.detections.empty()) {
    detections = read_coco_results((run / "detections.json").string());
  } else {
    DetectionRun r = run_detector(o.detect, images);
    categories = r.detector.categories, detections = r.detections, threshold = r.threshold;
  }
  const auto per_image = count_per_image(images, categories, captures, detections, threshold);
  const auto per_night = count_per_night(per_image);
  const fs::path dir(o.output);
  fs::create_directories(dir);
  OutputSet out;
  out.add_text((dir / "counts_per_image.csv").string(), to_csv(per_image));
  out.add_text((dir / "counts_per_night.csv").string(), to_csv(per_night));
  out.commit();
  std::cout << to_csv(per_night) << "counts of " << images.size()
            << " photos at score >= " << threshold << " -> "
            << (dir / "counts_per_image.csv").string() << ", counts_per_night.csv ("
            << per_night.size() << " night / trap / category rows)\n";
}

// ---- evaluate ----

struct EvaluateOptions {
  DetectOptions detect{};
  std::string detections, output;
};

void evaluate(const EvaluateOptions& o) {
  check_one_source("evaluate", o.detect, o.detections);
  const Dataset truth = read_annotations(o.detect.annotations, o.detect.images);
  std::vector<Annotation> detections;
  double threshold = o.detect.threshold;
  if (!o.detections.empty()) {
    detections = read_coco_results(o.detections);
    // The threshold of the run that wrote them, when its photos.json is beside them.
    const fs::path photos = fs::path(o.detections).parent_path() / "photos.json";
    if (threshold < 0)
      threshold = fs::exists(photos) ? read_detection_photos(photos.string()).score_threshold : 0.5;
  } else {
    DetectionRun r = run_detector(o.detect, truth.images);
    detections = r.detections;
    threshold = r.threshold;
  }
  const std::string json =
      scores_json(score_detections(truth, detections, threshold), truth.categories, threshold)
          .dump(2);
  std::cout << json << "\n";
  if (!o.output.empty()) write_text(o.output, json + "\n");
}

void add_detect_options(CLI::App* c, DetectOptions& d) {
  c->add_option("--images", d.images, "folder of photos (searched recursively)")->required();
  c->add_option("--max-memory", d.max_memory, "memory budget for the network's tiles, e.g. 2G")
      ->capture_default_str();
  c->add_option("--max-detections", d.max_detections, "per photo, the best scoring")
      ->check(CLI::Range(int64_t{1}, int64_t{10000000}))
      ->capture_default_str();
  c->add_option("--min-score", d.min_score, "scores below are never detections")
      ->check(CLI::Range(0.001, 0.999))
      ->capture_default_str();
  c->add_option("--score-threshold", d.threshold,
                "detections counted and drawn from this score (default: the model's, or "
                "the detect run's)")
      ->check(CLI::Range(0.0, 1.0));
  c->add_flag("--whole", d.whole, "run each photo in one piece instead of by tiles");
}

}  // namespace

void add_ecology_command(CLI::App& app) {
  auto* group = app.add_subcommand("ecology", "Detecting and counting insects in trap photographs");
  group->require_subcommand(1);

  auto* cmd = group->add_subcommand("synth", "Generate trap photographs with true boxes (COCO)");
  auto so = std::make_shared<SynthOptions>();
  cmd->add_option("--output", so->output, "folder for the photos and annotations.json")->required();
  cmd->add_option("--photos", so->photos, "how many (two traps, two photos a night each)")
      ->check(CLI::Range(1, 100))
      ->capture_default_str();
  cmd->add_option("--size", so->size, "width,height")
      ->delimiter(',')
      ->expected(2)
      ->check(CLI::Range(64, 20000))
      ->capture_default_str();
  cmd->add_option("--insects", so->insects, "insects per photo")
      ->check(CLI::Range(0, 100000))
      ->capture_default_str();
  cmd->add_option("--insect-size", so->insect_size, "smallest,largest insect length, px")
      ->delimiter(',')
      ->expected(2)
      ->check(CLI::Range(4.0, 1000.0))
      ->capture_default_str();
  cmd->add_option("--kinds", so->kinds, "insects drawn: moth, fly, beetle")
      ->delimiter(',')
      ->check(CLI::IsMember({"moth", "fly", "beetle"}))
      ->capture_default_str();
  cmd->add_option("--seed", so->seed, "random seed")->capture_default_str();
  cmd->callback([so] { synth(*so); });

  cmd = group->add_subcommand("train", "Train the insect detector on annotated photos");
  auto to = std::make_shared<TrainOptions>();
  cmd->add_option("--images", to->images, "folder of photos")->required();
  cmd->add_option("--annotations", to->annotations,
                  "COCO JSON, or a folder of YOLO .txt labels with classes.txt")
      ->required();
  cmd->add_option("--output", to->output, "checkpoint to write (.h5)")->required();
  cmd->add_option("--steps", to->steps, "training steps")
      ->check(CLI::Range(1, 10000000))
      ->capture_default_str();
  cmd->add_option("--patch", to->patch, "crop edge, px (a multiple of 2^(levels-1))")
      ->check(CLI::Range(int64_t{16}, int64_t{4096}))
      ->capture_default_str();
  cmd->add_option("--batch", to->batch, "crops per step")
      ->check(CLI::Range(int64_t{1}, int64_t{4096}))
      ->capture_default_str();
  cmd->add_option("--channels", to->channels, "U-Net channels per level")
      ->delimiter(',')
      ->check(CLI::Range(int64_t{1}, int64_t{4096}))
      ->capture_default_str();
  cmd->add_option("--calibration-photos", to->calibration,
                  "training photos the count threshold is chosen on")
      ->check(CLI::Range(0, 100000))
      ->capture_default_str();
  cmd->add_option("--seed", to->seed, "random seed")->capture_default_str();
  add_training_options(cmd, to->training);
  cmd->callback([to] { train(*to); });

  cmd = group->add_subcommand("detect", "Boxes on photos, by tiles: COCO results, CSV, JPEGs");
  auto dop = std::make_shared<DetectOptions>();
  cmd->add_option("--model", dop->model, "checkpoint from ecology train")
      ->required()
      ->check(CLI::ExistingFile);
  add_detect_options(cmd, *dop);
  cmd->add_option("--annotations", dop->annotations,
                  "take the photos and their image ids from these annotations");
  cmd->add_option("--output", dop->output,
                  "folder for detections.json (COCO results), detections.csv, photos.json and "
                  "annotated/")
      ->required();
  cmd->add_flag("!--no-annotated", dop->annotated, "do not draw the boxes on copies of the photos");
  cmd->callback([dop] { detect(*dop); });

  cmd = group->add_subcommand("count", "Insects per photo and class, and per night and trap");
  auto co = std::make_shared<CountOptions>();
  cmd->add_option("--model", co->detect.model, "detect with this checkpoint")
      ->check(CLI::ExistingFile);
  cmd->add_option("--detections", co->detections,
                  "or count what detect wrote to this folder (detections.json, photos.json)");
  add_detect_options(cmd, co->detect);
  cmd->add_option("--output", co->output,
                  "folder for counts_per_image.csv and counts_per_night.csv")
      ->required();
  cmd->add_option("--name-pattern", co->pattern,
                  "trap and time from file names, e.g. '{trap}/{yyyy}{mm}{dd}_{HH}{MM}*'");
  cmd->add_option("--metadata", co->metadata, "CSV with file, trap and time columns");
  cmd->add_flag("!--no-exif", co->exif, "do not read capture times from EXIF");
  cmd->callback([co] { count(*co); });

  cmd = group->add_subcommand("evaluate", "mAP, precision / recall and count error as JSON");
  auto eo = std::make_shared<EvaluateOptions>();
  cmd->add_option("--annotations", eo->detect.annotations, "the truth: COCO JSON or YOLO labels")
      ->required();
  cmd->add_option("--model", eo->detect.model, "detect with this checkpoint")
      ->check(CLI::ExistingFile);
  cmd->add_option("--detections", eo->detections,
                  "or score COCO results JSON (detect's detections.json, run with --annotations)");
  add_detect_options(cmd, eo->detect);
  cmd->add_option("--output", eo->output, "write the scores here as JSON");
  cmd->callback([eo] { evaluate(*eo); });
}

}  // namespace tessera::app
