// SIGINT / SIGTERM as a flag: the handler only records the signal; long loops poll it between steps (the
// trainer writes a checkpoint and the trial is marked `interrupted`; a worker stops claiming and passes it
// on to its trials) and the process exits with 128 + signal (130 / 143).
#pragma once

namespace remix {

class InterruptGuard {
 public:
  InterruptGuard();   // installs the handlers
  ~InterruptGuard();  // restores the previous ones
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;

  // The signal received since installation, or 0.
  static int pending();
  static void clear();
};

// Thrown by a loop that stopped for a signal after saving its state; the process exits with 128 + signal.
struct Interrupted {
  int signal;
};

}  // namespace remix
