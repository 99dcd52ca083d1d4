#include "format_common.hpp"

#include <algorithm>
#include <filesystem>
#include <stdexcept>
#include <system_error>

namespace tessera::formats {

DType parse_dtype(const std::string& type) {
  if (type == "float32") return DType::f32;
  if (type == "uint8") return DType::u8;
  if (type == "uint16") return DType::u16;
  if (type == "uint64") return DType::u64;
  throw std::invalid_argument("unknown element type '" + type +
                              "' (known: float32, uint8, uint16, uint64)");
}

const char* dtype_name(DType t) {
  switch (t) {
    case DType::u8:
      return "uint8";
    case DType::u16:
      return "uint16";
    case DType::u64:
      return "uint64";
    case DType::f32:
      break;
  }
  return "float32";
}

Shape tensor_shape(int64_t channels, const Shape& size) {
  Shape shape{1, channels};
  shape.insert(shape.end(), size.begin(), size.end());
  return shape;
}

void require_inside(const VolumeInfo& info, const Region& region, const std::string& name) {
  const Region whole = Region::whole(info.size);
  const bool same_rank =
      region.origin.size() == info.size.size() && region.size.size() == info.size.size();
  if (!same_rank || !whole.contains(region))
    throw std::invalid_argument("'" + name + "': region " + region.str() +
                                " lies outside the volume " + whole.str());
}

void require_data(const VolumeInfo& info, const Region& region, const Tensor& data,
                  const std::string& name) {
  const Shape expected = tensor_shape(info.channels, region.size);
  if (data.shape() != expected)
    throw std::invalid_argument("'" + name + "': data of shape " + to_string(data.shape()) +
                                " written to region " + region.str() + ", expected " +
                                to_string(expected));
}

void require_sensible_size(const VolumeInfo& info, const std::string& name) {
  const auto& size = info.size;
  const bool zero =
      info.channels < 1 || std::any_of(size.begin(), size.end(), [](int64_t s) { return s < 1; });
  if (size.size() < 2 || size.size() > 3 || zero)
    throw std::runtime_error("'" + name + "': header describes " + std::to_string(info.channels) +
                             " channel(s) x " + to_string(size) +
                             " (needs 2 or 3 axes of at least 1 voxel and at least 1 channel)");
  int64_t n = info.channels;
  for (int64_t s : size) {
    if (s > kMaxElements / n)
      throw std::runtime_error("'" + name + "': header describes " + std::to_string(info.channels) +
                               " channel(s) x " + to_string(size) + ", more than " +
                               std::to_string(kMaxElements) + " values (a corrupt header?)");
    n *= s;
  }
}

int64_t element_count(const VolumeInfo& info) {
  return info.channels * product(info.size);
}

void require_can_hold(const std::string& name, uint64_t need, uint64_t can_hold) {
  if (need > can_hold)
    throw std::runtime_error("'" + name + "': header promises " + std::to_string(need) +
                             " bytes of image data, more than the file can hold (" +
                             std::to_string(can_hold) + "); the file is truncated or corrupt");
}

std::string one_line(std::string message) {
  std::replace(message.begin(), message.end(), '\n', ' ');
  while (!message.empty() && message.back() == ' ') message.pop_back();
  return message;
}

}  // namespace tessera::formats
