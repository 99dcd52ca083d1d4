// The CPU backend object and its tensor basics: copies (oneDNN reorders between layouts), fills.
#include <algorithm>
#include <cstring>

#include "backend.hpp"
#include "dnnl_util.hpp"

namespace tessera::cpu {

CpuBackend& backend() {
  static CpuBackend* b = new CpuBackend();  // never destroyed: buffers may outlive statics
  return *b;
}

void CpuBackend::copy(const Tensor& src, const Tensor& dst) {
  if (src.layout() == dst.layout() && src.bytes() == dst.bytes()) {
    std::memcpy(dst.raw(), src.raw(), dst.bytes());
    return;
  }
  dnnl_util::reorder(dnnl_util::memory_of(src), dnnl_util::memory_of(dst));
}

void CpuBackend::fill(const Tensor& t, float value) {
  float* d = static_cast<float*>(t.raw());
  std::fill(d, d + t.numel(), value);
}

void CpuBackend::zero(const Tensor& t) {
  std::memset(t.raw(), 0, t.bytes());
}

}  // namespace tessera::cpu
