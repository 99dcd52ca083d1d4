#pragma once
// Where a tensor's bytes live: the host (CPU) or one GPU. Every Tensor knows its device through
// its buffer; ops run on their operands' device and refuse operands on different ones.
//
//   Tensor x = Tensor::zeros({1, 3, 64, 64});           // host memory
//   Tensor g = x.to(Device::cuda(0));                   // a copy on GPU 0
#include <cstdint>
#include <string>

namespace tessera {

struct Device {
  enum class Kind : uint8_t { cpu, cuda };
  Kind kind = Kind::cpu;
  int index = 0;  // which GPU; 0 for the CPU

  static constexpr Device cpu() { return {}; }
  static constexpr Device cuda(int index) { return {Kind::cuda, index}; }
  // Host memory: the CPU can read it through a plain pointer.
  bool is_host() const { return kind == Kind::cpu; }
  bool operator==(const Device&) const = default;
};

// "cpu", "cuda:0"
std::string to_string(Device d);

// "cpu", "cuda" (GPU 0) or "cuda:N"; "auto" is default_device(). Throws one line naming the
// value otherwise, and for a GPU this machine cannot use.
Device parse_device(const std::string& name);
// The first GPU when the CUDA backend can use one, else the CPU.
Device default_device();
// Waits until the work queued on `d` is done (the CPU's ops finish before they return), so a
// timing or a host read sees it finished.
void synchronize(Device d);

}  // namespace tessera
