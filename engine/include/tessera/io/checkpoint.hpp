#pragma once
// Checkpoints: one HDF5 file holding everything needed to rebuild and resume a run.
//
//   /                 attributes: format, version, architecture (JSON), optimizer (JSON),
//                                 metadata (JSON), step, optimizer_steps, state_keys (JSON)
//   /weights/<name>   one float dataset per parameter, in the parameter's shape
//   /buffers/<name>   running statistics
//   /optimizer/<key>  optimizer state tensors
//   /state/<name>     other tensors a run needs to continue (tensor_keys lists them)
//
// Files are written to a temporary name in the same folder and renamed into place, so a crash
// never leaves a half-written checkpoint under the final name.
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "tessera/nn/module.hpp"
#include "tessera/train/optimizer.hpp"

namespace tessera {

struct Checkpoint {
  std::unique_ptr<Module> model;
  std::unique_ptr<Optimizer> optimizer;  // null when none was saved
  int64_t step = 0;
  nlohmann::json metadata;                // free-form: schedule, data settings, normalisation, ...
  std::map<std::string, Tensor> tensors;  // free-form: what a training run keeps beside weights
};

void save_checkpoint(const std::string& path, Module& model, Optimizer* optimizer, int64_t step,
                     const nlohmann::json& metadata = nlohmann::json::object(),
                     const std::map<std::string, Tensor>& tensors = {});

// Throws std::runtime_error naming the file and what is wrong (missing, not HDF5, not a
// tessera checkpoint, missing weights, shape mismatch).
Checkpoint load_checkpoint(const std::string& path);

// The checkpoint of an application's model: load_checkpoint, then its metadata's "task" must
// be `task`, else std::runtime_error "<path> is not <what>" (what: "an insect detector (train
// one with tessera ecology train)").
Checkpoint load_task_checkpoint(const std::string& path, const std::string& task,
                                const std::string& what);

// What a checkpoint holds, for people: network type, parameter count, receptive field and halo
// (when the network can be tiled), step, optimizer settings, metadata.
nlohmann::json describe_checkpoint(const std::string& path);

}  // namespace tessera
