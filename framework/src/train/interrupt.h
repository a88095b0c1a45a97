// SIGINT / SIGTERM during a trial: the handler only records the signal; the training loop polls it between
// steps, writes a checkpoint, marks the run `interrupted` and the CLI exits with 128 + signal (130 / 143).
#pragma once

namespace remix::train {

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

// Thrown by the trainer after it saved its state because of a signal; the CLI exits with 128 + signal.
struct Interrupted {
  int signal;
};

}  // namespace remix::train
