#pragma once
// The optimizer benchmark behind `tessera bench kfac`: the same U-Net trained with SGD
// (momentum), Adam and K-FAC on membrane segmentation of the ISBI 2012 stack, each until its
// validation loss reaches a fixed target; epochs and training time to the target, and the loss
// curves (see bench/kfac.sh).
#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "tessera/tensor/device.hpp"

namespace tessera::bench {

struct KfacBenchOptions {
  std::string raw{};     // EM stack (volume spec), e.g. the ISBI 2012 training volume
  std::string labels{};  // its labels: 0 membrane, 255 cell
  std::vector<std::string> optimizers = {"sgd", "adam", "kfac"};
  double target = 0.23;  // validation BCE
  int max_epochs = 30;
  int64_t validation_slices = 6;   // last slices held out
  std::vector<std::string> lr;     // "name=value" per optimizer; the default where absent
  std::string kfac_settings{};     // JSON over K-FAC's defaults
  std::string markdown{}, plot{};  // outputs when not empty: the table, the curves (PNG)
  std::ostream* log = nullptr;     // a line per optimizer and epoch
  Device device = Device::cpu();   // where the U-Net trains
};

// Trains each optimizer in turn and returns the Markdown table (also written to `markdown`).
std::string run_kfac_benchmark(const KfacBenchOptions& o);

}  // namespace tessera::bench
