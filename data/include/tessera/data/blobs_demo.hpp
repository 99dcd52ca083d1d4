#pragma once
// The engine end to end on generated blobs (`tessera demo`): a small U-Net trained to segment
// synthetic discs, scored on held-out images, saved and reloaded. Under several processes each
// rank trains on its share of every batch (data-parallel) and rank 0 scores and saves.
#include <cstdint>
#include <ostream>
#include <string>

#include "tessera/dist/communicator.hpp"
#include "tessera/train/training_loop.hpp"

namespace tessera::data {

struct BlobsDemoOptions {
  int steps = 150;
  int64_t size = 32;                            // image edge, a multiple of 4
  std::string output = "tessera_demo_unet.h5";  // the checkpoint
  bool reversible = false;
  std::string optimizer = "adam";
  std::string optimizer_settings;  // JSON object over the optimizer's defaults
  double lr = 0;                   // 0: the optimizer's default
  RunSettings run{};               // resume, init_from, checkpoints (run folder beside `output`)
};

struct BlobsDemoReport {
  int64_t parameters = 0;
  float first_loss = 0, last_loss = 0;
  double pixel_accuracy = 0;    // held-out images, rank 0
  std::size_t peak_bytes = 0;   // the engine's peak (tracking allocator) up to the scoring
  float reload_difference = 0;  // max |prediction - reloaded checkpoint's prediction|
};

// Trains, scores and checkpoints; progress lines go to `log` on rank 0. Throws when the reloaded
// checkpoint predicts differently.
BlobsDemoReport run_blobs_demo(const BlobsDemoOptions& o, Communicator& comm, std::ostream& log);

}  // namespace tessera::data
