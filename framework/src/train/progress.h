// What a running trial shows: on a terminal one line rewritten in place (step, loss, tokens/s, ETA); when
// stderr is not a terminal (logs, CI, sweep workers) a plain line every `every` steps. Quiet mode shows
// nothing. Kept apart from the trainer so the loop only reports numbers.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace remix::train {

class ProgressLine {
 public:
  // The clock starts now, with `first_step` steps already done (a resumed run): ETAs come from this run's pace.
  ProgressLine(std::string label, std::int64_t total_steps, std::int64_t every, std::int64_t first_step = 0);
  ~ProgressLine();  // ends an in-place line with a newline
  void update(std::int64_t step, double loss, double tokens_per_second);
  // A message that must not be overwritten by the progress line (evaluation results, warnings).
  void note(const std::string& message);

 private:
  void clear_line();
  std::string label_;
  std::int64_t total_, every_;
  bool tty_;
  bool line_open_ = false;
  std::chrono::steady_clock::time_point start_;
  std::int64_t first_step_;
};

// "1h02m", "3m05s", "12s"
std::string format_duration(double seconds);

}  // namespace remix::train
