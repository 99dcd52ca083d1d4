// Ordinary video through OpenCV's videoio (.mp4 .avi .mov .mkv .gif): a volume of t, y, x with 3
// channels in OpenCV's BGR order, or 1 when the codec decodes to grey. Compressed video cannot
// be read from the middle reliably (seeking by frame number is approximate for many codecs), so
// a source decodes forward and keeps the latest frames in a cache at least as deep as the
// longest window asked for: a streaming consumer, whose windows overlap and move forward, never
// decodes a frame twice. A read before the cache reopens the file and skips forward.
// A sink (.avi: MJPG, .mp4: mp4v) takes whole frames in time order, 8-bit.
#include <opencv2/core.hpp>
#include <opencv2/videoio.hpp>

#include <algorithm>
#include <cmath>
#include <deque>
#include <stdexcept>
#include <string>
#include <vector>

#include "format_common.hpp"
#include "raw_frames.hpp"

namespace tessera::formats {

namespace {

std::string fourcc_text(double code) {
  const auto c = static_cast<uint32_t>(code);
  std::string s;
  for (int i = 0; i < 4; ++i) s += static_cast<char>((c >> (8 * i)) & 0xFF);
  return s;
}

class VideoSource final : public VolumeSource {
 public:
  explicit VideoSource(const std::string& path) : path_(path) {
    reopen();
    const double count = capture_.get(cv::CAP_PROP_FRAME_COUNT);
    const auto frames = static_cast<int64_t>(std::llround(count > 0 ? count : 0));
    const auto height = static_cast<int64_t>(capture_.get(cv::CAP_PROP_FRAME_HEIGHT));
    const auto width = static_cast<int64_t>(capture_.get(cv::CAP_PROP_FRAME_WIDTH));
    const std::string pixel = fourcc_text(capture_.get(cv::CAP_PROP_CODEC_PIXEL_FORMAT));
    const bool grey = pixel == "Y800" || pixel == "GREY" || pixel == "GRAY" || pixel == "Y8  ";
    info_ = {grey ? 1 : 3, {frames, height, width}, {}, ""};
    require_sensible_size(info_, path);  // also refuses a stream that states no frame count
    const double fps = capture_.get(cv::CAP_PROP_FPS);
    info_.attributes["frame_rate_hz"] = number_text(fps > 0 ? fps : 25.0);
    info_.attributes["bit_depth"] = std::to_string(8);  // GCC 12 -Wrestrict false positive on = "8"
    info_.attributes["codec"] = fourcc_text(capture_.get(cv::CAP_PROP_FOURCC));
    // Built by appending: GCC 12 warns falsely (-Wrestrict) on "literal" + std::to_string(...).
    std::string description = "video, ";
    description += std::to_string(frames) + " frames of " + (grey ? "grey" : "BGR") + " uint8";
    info_.description = description;
  }
  const VolumeInfo& info() const override { return info_; }

  Tensor read(const Region& region) override {
    require_inside(info_, region, path_);
    const int64_t nt = region.size[0], ny = region.size[1], nx = region.size[2];
    const int64_t C = info_.channels;
    depth_ = std::max(depth_, nt);
    Tensor out = Tensor::empty(tensor_shape(C, region.size));
    for (int64_t t = 0; t < nt; ++t) {
      const cv::Mat& f = frame(region.origin[0] + t);
      for (int64_t y = 0; y < ny; ++y) {
        const uint8_t* row = f.ptr<uint8_t>(static_cast<int>(region.origin[1] + y));
        const int64_t step = f.channels();  // 3 (BGR) even for a grey video, or 1
        for (int64_t c = 0; c < C; ++c) {
          float* dst = out.data() + ((c * nt + t) * ny + y) * nx;
          for (int64_t x = 0; x < nx; ++x) dst[x] = row[(region.origin[2] + x) * step + c];
        }
      }
    }
    return out;
  }

 private:
  void reopen() {
    capture_.release();
    try {
      capture_.open(path_);
    } catch (const cv::Exception& e) {
      throw std::runtime_error("'" + path_ + "': cannot open video (" + one_line(e.msg) + ")");
    }
    if (!capture_.isOpened())
      throw std::runtime_error("'" + path_ + "': cannot open video (corrupt, or no decoder)");
    cache_.clear();
    first_ = next_ = 0;
  }

  // Frame t, decoded forward; the cache holds frames [first_, next_).
  const cv::Mat& frame(int64_t t) {
    if (t >= first_ && t < next_) return cache_[static_cast<size_t>(t - first_)];
    if (t < first_) reopen();
    while (next_ <= t) {
      const bool kept = t - next_ < depth_;  // frames further back than that are only skipped
      cv::Mat m;
      if (!(kept ? capture_.read(m) : capture_.grab()))
        throw std::runtime_error("'" + path_ + "': truncated: frame " + std::to_string(next_) +
                                 " of the " + std::to_string(info_.size[0]) +
                                 " its header states cannot be decoded");
      ++next_;
      if (!kept) {
        cache_.clear();
        first_ = next_;
        continue;
      }
      if (m.depth() != CV_8U || m.rows != info_.size[1] || m.cols != info_.size[2])
        throw std::runtime_error("'" + path_ + "': frame " + std::to_string(next_ - 1) +
                                 " differs in size or type from the first");
      cache_.push_back(m);
      while (static_cast<int64_t>(cache_.size()) > depth_) {
        cache_.pop_front();
        ++first_;
      }
    }
    return cache_[static_cast<size_t>(t - first_)];
  }

  std::string path_;
  cv::VideoCapture capture_;
  VolumeInfo info_;
  std::deque<cv::Mat> cache_;
  int64_t first_ = 0, next_ = 0;
  int64_t depth_ = 16;  // frames kept: grows to the longest window read
};

class VideoSink final : public VolumeSink {
 public:
  VideoSink(const std::string& path, const std::string& ext, const VolumeInfo& like,
            int64_t channels)
      : path_(path), atomic_(path, ext), info_{channels, like.size, {}, "video"} {
    double fps = 25;
    if (const auto it = like.attributes.find("frame_rate_hz"); it != like.attributes.end()) {
      try {
        fps = std::stod(it->second);
      } catch (const std::exception&) {
        fps = 0;
      }
      if (!(fps > 0))
        throw std::invalid_argument("'" + path + "': frame_rate_hz '" + it->second +
                                    "' is not a positive number");
    }
    const int fourcc = ext == ".avi" ? cv::VideoWriter::fourcc('M', 'J', 'P', 'G')
                                     : cv::VideoWriter::fourcc('m', 'p', '4', 'v');
    const cv::Size size(static_cast<int>(like.size[2]), static_cast<int>(like.size[1]));
    try {
      // FFmpeg stores grey frames as colour (YUV 4:2:0), so a 1-channel video reads back as 3
      // equal channels. OpenCV's own MJPEG writer keeps them grey but, in 4.6, darkens them
      // (100 reads back as 16), so it is not used.
      writer_.open(atomic_.temp_path(), fourcc, fps, size, channels == 3);
    } catch (const cv::Exception& e) {
      throw std::runtime_error("'" + path + "': cannot write video (" + one_line(e.msg) + ")");
    }
    if (!writer_.isOpened())
      throw std::runtime_error("'" + path + "': cannot write video (no encoder for " + ext + ")");
  }

  // Whole frames, each time window starting where the last one ended.
  void write(const Region& region, const Tensor& data) override {
    require_inside(info_, region, path_);
    require_data(info_, region, data, path_);
    const bool whole = region.origin[0] == next_ && region.origin[1] == 0 &&
                       region.origin[2] == 0 && region.size[1] == info_.size[1] &&
                       region.size[2] == info_.size[2];
    if (!whole)
      throw std::invalid_argument("'" + path_ + "': a video is written in whole frames in time " +
                                  "order; next is frame " + std::to_string(next_) + ", got " +
                                  region.str());
    const int rows = static_cast<int>(info_.size[1]), cols = static_cast<int>(info_.size[2]);
    const int64_t nt = region.size[0], plane = int64_t{rows} * cols;
    // cv::Mat has no read-only wrapper; these planes are only read (merge copies them).
    float* src = const_cast<float*>(data.data());
    for (int64_t t = 0; t < nt; ++t) {
      std::vector<cv::Mat> planes;
      for (int64_t c = 0; c < info_.channels; ++c)
        planes.emplace_back(rows, cols, CV_32F, src + (c * nt + t) * plane);
      cv::Mat merged, image;
      cv::merge(planes, merged);
      merged.convertTo(image, CV_8U);  // rounds and clamps to [0, 255]
      writer_.write(image);
    }
    next_ += nt;
  }

  void commit() override {
    if (next_ != info_.size[0])
      throw std::runtime_error("'" + path_ + "': only " + std::to_string(next_) + " of " +
                               std::to_string(info_.size[0]) + " frames were written");
    writer_.release();
    atomic_.commit();
  }

 private:
  std::string path_;
  AtomicFile atomic_;
  VolumeInfo info_;
  cv::VideoWriter writer_;
  int64_t next_ = 0;
};

}  // namespace

std::unique_ptr<VolumeSource> open_video(const std::string& path) {
  return std::make_unique<VideoSource>(path);
}

std::unique_ptr<VolumeSink> create_video(const std::string& path, const std::string& ext,
                                         const VolumeInfo& like, int64_t channels, DType type) {
  if (ext != ".avi" && ext != ".mp4")
    throw std::invalid_argument("'" + path + "': video is written as .avi (MJPG) or .mp4, not " +
                                ext);
  if (like.size.size() != 3)
    throw std::invalid_argument("'" + path + "': a video holds t, y, x, not " +
                                to_string(like.size));
  if (channels != 1 && channels != 3)
    throw std::invalid_argument("'" + path + "': a video holds 1 or 3 channels, not " +
                                std::to_string(channels));
  if (type != DType::u8 && type != DType::f32)
    throw std::invalid_argument("'" + path + "': video stores uint8, not " + dtype_name(type));
  return std::make_unique<VideoSink>(path, ext, like, channels);
}

}  // namespace tessera::formats
