// Progress reporting for training loops (see progress.h).
#include "train/progress.h"

#include <unistd.h>

#include <cmath>
#include <cstdio>

#include <fmt/format.h>

#include "common/log.h"

namespace remix::train {

std::string format_duration(double seconds) {
  if (!(seconds >= 0) || seconds > 1e7) return "?";
  auto s = static_cast<long>(seconds + 0.5);
  if (s >= 3600) return fmt::format("{}h{:02}m", s / 3600, (s % 3600) / 60);
  if (s >= 60) return fmt::format("{}m{:02}s", s / 60, s % 60);
  return fmt::format("{}s", s);
}

ProgressLine::ProgressLine(std::string label, std::int64_t total_steps, std::int64_t every, std::int64_t first_step)
    : label_(std::move(label)),
      total_(total_steps),
      every_(every < 1 ? 1 : every),
      tty_(isatty(STDERR_FILENO) != 0),
      start_(std::chrono::steady_clock::now()),
      first_step_(first_step) {}

ProgressLine::~ProgressLine() { clear_line(); }

void ProgressLine::clear_line() {
  if (line_open_) {
    std::fputc('\n', stderr);
    line_open_ = false;
  }
}

void ProgressLine::update(std::int64_t step, double loss, double tokens_per_second) {
  if (log::level() == log::Level::Quiet) return;
  bool last = step + 1 >= total_;
  if (!tty_ && (step + 1) % every_ != 0 && !last) return;
  double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  double done = static_cast<double>(step + 1 - first_step_);
  double eta = done > 0 ? elapsed / done * static_cast<double>(total_ - step - 1) : -1;
  // The loss of the last log step (none yet before the first one: the trainer reads losses only when it logs).
  std::string shown = std::isnan(loss) ? std::string("-") : fmt::format("{:.4f}", loss);
  std::string text = fmt::format("{} step {}/{}  loss {}  {:.0f} tok/s  ETA {}", label_, step + 1, total_, shown,
                                 tokens_per_second, format_duration(eta));
  if (tty_) {
    std::fprintf(stderr, "\r\033[K%s", text.c_str());
    line_open_ = true;
    if (last) clear_line();
  } else {
    std::fprintf(stderr, "%s\n", text.c_str());
  }
  std::fflush(stderr);
}

void ProgressLine::note(const std::string& message) {
  clear_line();
  log::info("{}", message);
}

}  // namespace remix::train
