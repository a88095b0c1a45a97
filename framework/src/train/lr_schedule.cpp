// Warmup + decay schedules (see lr_schedule.h).
#include "train/lr_schedule.h"

#include <algorithm>
#include <cmath>

#include "remix/errors.h"

namespace remix::train {

Decay parse_decay(const std::string& name) {
  if (name == "cosine") return Decay::Cosine;
  if (name == "linear") return Decay::Linear;
  if (name == "constant") return Decay::Constant;
  throw ConfigError("train.schedule: expected cosine, linear or constant, got '" + name + "'");
}

double lr_multiplier(std::int64_t step, std::int64_t total, std::int64_t warmup, Decay decay) {
  if (warmup > 0 && step < warmup) return static_cast<double>(step + 1) / static_cast<double>(warmup);
  if (decay == Decay::Constant) return 1.0;
  std::int64_t span = std::max<std::int64_t>(1, total - warmup);
  double progress = std::clamp(static_cast<double>(step - warmup) / static_cast<double>(span), 0.0, 1.0);
  if (decay == Decay::Linear) return 1.0 - progress;
  return 0.5 * (1.0 + std::cos(M_PI * progress));
}

}  // namespace remix::train
