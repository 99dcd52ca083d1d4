#pragma once
// SIGINT and SIGTERM as a request to stop, while a training loop runs: the handler only sets a
// flag, which the loop reads at the end of each step (nothing else is safe inside a handler).
// A second signal of the same kind ends the process at once, as it would without the loop.
#include <csignal>

namespace tessera {

class StopSignals {
 public:
  StopSignals();   // installs the handlers and clears the flag
  ~StopSignals();  // puts the previous handlers back
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

  bool requested() const;

 private:
  struct sigaction old_int_ {
  }, old_term_{};
};

}  // namespace tessera
