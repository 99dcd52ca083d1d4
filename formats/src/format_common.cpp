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

std::string one_line(std::string message) {
  std::replace(message.begin(), message.end(), '\n', ' ');
  while (!message.empty() && message.back() == ' ') message.pop_back();
  return message;
}

StagedFile::StagedFile(const std::string& final_path, const std::string& extension)
    : atomic_(final_path, extension) {}

void StagedFile::commit() {
  atomic_.commit();
}

}  // namespace tessera::formats
