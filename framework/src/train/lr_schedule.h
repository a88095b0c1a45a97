// Learning-rate schedules: linear warmup to the peak, then cosine, linear or constant decay to zero at the
// last step. A multiplier of the peak rate, so adapter and router groups share one schedule.
#pragma once

#include <cstdint>
#include <string>

namespace remix::train {

enum class Decay { Cosine, Linear, Constant };
Decay parse_decay(const std::string& name);  // "cosine" | "linear" | "constant"

// Multiplier for optimizer step `step` (0-based) of `total` steps.
double lr_multiplier(std::int64_t step, std::int64_t total, std::int64_t warmup, Decay decay);

}  // namespace remix::train
