// Ordinary images through OpenCV (.png .jpg .jpeg .bmp .pgm .ppm): 2D, 1, 3 or 4 channels in
// OpenCV's order (BGR, BGRA). These codecs cannot decode or encode part of an image, so a
// source decodes the whole image once and copies regions out, and a sink assembles the image in
// memory and encodes it at commit().
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string_view>
#include <vector>

#include "format_common.hpp"

namespace tessera::formats {

namespace {

// [1, C, H, W] planar floats from an interleaved image of any depth.
Tensor to_tensor(const cv::Mat& image) {
  const int channels = image.channels();
  Tensor out = Tensor::empty({1, channels, image.rows, image.cols});
  std::vector<cv::Mat> planes;
  for (int c = 0; c < channels; ++c)
    planes.emplace_back(image.rows, image.cols, CV_32F, out.data() + int64_t{c} * image.total());
  cv::Mat as_float;
  image.convertTo(as_float, CV_MAKETYPE(CV_32F, channels));
  cv::split(as_float, planes);  // writes into the tensor: the planes have the right size/type
  return out;
}

std::string lower_extension(const std::string& path) {
  std::string ext = std::filesystem::path(path).extension().string();
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return ext;
}

// OpenCV decodes a PNG cut after its image data, and a JPEG cut anywhere (the missing rows come
// out grey), without a word: such files are refused by their end. A PNG ends with its IEND
// chunk and CRC; a JPEG's last scan (the last SOS marker: entropy-coded data cannot hold one)
// is followed by the EOI marker. A BMP holds the size its header states.
void require_whole_image(const std::string& path, const std::vector<uchar>& bytes) {
  const std::string ext = lower_extension(path);
  const std::string_view b(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  bool whole = true;
  if (ext == ".png") {
    const size_t iend = b.rfind("IEND");
    whole = iend != b.npos && iend + 8 <= b.size();
  } else if (ext == ".jpg" || ext == ".jpeg") {
    const size_t sos = b.rfind("\xFF\xDA");
    whole = sos != b.npos && b.find("\xFF\xD9", sos) != b.npos;
  } else if (ext == ".bmp" && b.size() >= 6) {
    const uint32_t stated = uint32_t(bytes[2]) | uint32_t(bytes[3]) << 8 |
                            uint32_t(bytes[4]) << 16 | uint32_t(bytes[5]) << 24;
    whole = stated <= b.size();
  }
  if (!whole) throw std::runtime_error("'" + path + "': truncated image file (its end is missing)");
}

std::vector<uchar> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<uchar> bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  if (!in.eof() && in.fail()) throw std::runtime_error("'" + path + "': cannot read");
  return bytes;
}

class OpencvSource final : public VolumeSource {
 public:
  explicit OpencvSource(const std::string& path) : path_(path) {
    const std::vector<uchar> bytes = read_bytes(path);
    require_whole_image(path, bytes);
    cv::Mat image;
    try {
      image = cv::imdecode(bytes, cv::IMREAD_UNCHANGED);
    } catch (const cv::Exception& e) {
      throw std::runtime_error("'" + path + "': cannot decode image (" + one_line(e.msg) + ")");
    }
    if (image.empty())
      throw std::runtime_error("'" + path + "': cannot decode image (corrupt or unsupported)");
    info_ = {image.channels(), {image.rows, image.cols}, {}, ""};
    require_sensible_size(info_, path);
    whole_ = std::make_unique<TensorSource>(to_tensor(image));
    info_.description = std::string(image.depth() == CV_8U ? "uint8" : "non-8-bit") + " image";
  }
  const VolumeInfo& info() const override { return info_; }

  Tensor read(const Region& region) override {
    require_inside(info_, region, path_);
    return whole_->read(region);
  }

 private:
  std::string path_;
  std::unique_ptr<TensorSource> whole_;
  VolumeInfo info_;
};

class OpencvSink final : public VolumeSink {
 public:
  OpencvSink(const std::string& path, const std::string& ext, const VolumeInfo& like,
             int64_t channels, int depth)
      : path_(path),
        ext_(ext),
        atomic_(path),
        depth_(depth),
        info_{channels, like.size, {}, "image"},
        assembled_(channels, like.size) {}

  void write(const Region& region, const Tensor& data) override {
    require_inside(info_, region, path_);
    require_data(info_, region, data, path_);
    assembled_.write(region, data);
  }

  void commit() override {
    std::vector<uchar> bytes;
    try {
      if (!cv::imencode(ext_, to_image(), bytes))
        throw std::runtime_error("'" + path_ + "': OpenCV cannot encode " + ext_);
    } catch (const cv::Exception& e) {
      throw std::runtime_error("'" + path_ + "': cannot encode (" + one_line(e.msg) + ")");
    }
    write_bytes(atomic_.temp_path(),
                std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()), path_);
    atomic_.commit();
  }

 private:
  // Interleaved image of depth_; convertTo rounds and saturates (clamps to [0, 255] for 8 bit).
  cv::Mat to_image() {
    const int rows = static_cast<int>(info_.size[0]), cols = static_cast<int>(info_.size[1]);
    // cv::Mat has no read-only wrapper; these planes are only read (merge copies them).
    float* data = const_cast<float*>(assembled_.result().data());
    std::vector<cv::Mat> planes;
    for (int64_t c = 0; c < info_.channels; ++c)
      planes.emplace_back(rows, cols, CV_32F, data + c * rows * cols);
    cv::Mat merged, image;
    cv::merge(planes, merged);
    merged.convertTo(image, CV_MAKETYPE(depth_, static_cast<int>(info_.channels)));
    return image;
  }

  std::string path_, ext_;
  AtomicFile atomic_;
  int depth_;
  VolumeInfo info_;
  TensorSink assembled_;
};

// 8-bit unless 16 bits are asked for and the format has them (PNG, PGM, PPM).
int image_depth(const std::string& path, const std::string& ext, DType type) {
  if (type == DType::f32 || type == DType::u8) return CV_8U;
  const bool has_16 = ext == ".png" || ext == ".pgm" || ext == ".ppm";
  if (type == DType::u16 && has_16) return CV_16U;
  throw std::invalid_argument("'" + path + "': " + ext + " cannot store " + dtype_name(type));
}

}  // namespace

std::unique_ptr<VolumeSource> open_opencv(const std::string& path) {
  return std::make_unique<OpencvSource>(path);
}

std::unique_ptr<VolumeSink> create_opencv(const std::string& path, const std::string& ext,
                                          const VolumeInfo& like, int64_t channels, DType type) {
  if (like.size.size() != 2)
    throw std::invalid_argument("'" + path + "': " + ext + " holds 2D images, not " +
                                to_string(like.size));
  const bool gray_ok = ext != ".ppm", colour_ok = ext != ".pgm";
  const bool ok = (channels == 1 && gray_ok) || (channels == 3 && colour_ok) ||
                  (channels == 4 && ext == ".png");
  if (!ok)
    throw std::invalid_argument("'" + path + "': " + ext + " cannot hold " +
                                std::to_string(channels) + " channels");
  return std::make_unique<OpencvSink>(path, ext, like, channels, image_depth(path, ext, type));
}

}  // namespace tessera::formats
