#pragma once
// What a training loop records and shows: its history as checkpoint JSON and as CSV, the
// ranks' task states gathered into one place, and the progress line on a terminal.
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tessera/dist/communicator.hpp"
#include "tessera/train/training_loop.hpp"

namespace tessera {

// [[step, loss, lr, seconds, validation or null], ...]: exact, for a checkpoint.
nlohmann::json history_json(const std::vector<HistoryRow>& rows);
std::vector<HistoryRow> history_from_json(const nlohmann::json& j);

// "step,loss,lr,seconds,validation" and one line per row (validation empty where none).
std::string history_csv(const std::vector<HistoryRow>& rows);

// Every rank's `mine`, in rank order, on every rank (one element without `comm`).
std::vector<std::string> gather_texts(Communicator* comm, const std::string& mine);

// "step 412/1500 (27%)  3.1 steps/s  loss 0.213  ETA 5 min 48 s" redrawn in place on stderr,
// at most a few times a second, and only when `show` (rank 0 with stderr on a terminal).
class ProgressLine {
 public:
  ProgressLine(bool show, int64_t first_step, int64_t steps);
  void update(int64_t done, float loss);
  void clear();   // wipes the line, before other output (redrawn at the next update)
  void finish();  // ends the line

 private:
  bool show_;
  int64_t first_, steps_;
  std::chrono::steady_clock::time_point start_, last_;
  bool drawn_ = false;
};

}  // namespace tessera
