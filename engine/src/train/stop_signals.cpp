#include "stop_signals.hpp"

namespace tessera {

namespace {

// The one flag a signal handler may set: process-wide by nature, so global.
volatile std::sig_atomic_t stop_requested = 0;

void on_stop_signal(int signal) {
  if (stop_requested) {  // asked twice: stop now, as the default action does
    std::signal(signal, SIG_DFL);
    std::raise(signal);
    return;
  }
  stop_requested = 1;
}

}  // namespace

StopSignals::StopSignals() {
  stop_requested = 0;
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, &old_int_);
  sigaction(SIGTERM, &action, &old_term_);
}

StopSignals::~StopSignals() {
  sigaction(SIGINT, &old_int_, nullptr);
  sigaction(SIGTERM, &old_term_, nullptr);
}

bool StopSignals::requested() const {
  return stop_requested != 0;
}

}  // namespace tessera
