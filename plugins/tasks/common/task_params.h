// Parameters every task plugin has, written once: each plugin's table lists these beside its own. The
// number-of-examples and file parameters take the default or doc that fits the task.
#pragma once

#include "remix/params.h"

namespace remix::tasks::params {

inline constexpr ParamSpec kSkipBadRecords =
    param("skip_bad_records", ParamType::Bool, "false",
          "skip malformed records of a data file (each file's count is warned about and the total stored as "
          "stats.skipped_records) instead of stopping with file:line");
inline constexpr ParamSpec kFewShot =
    param("few_shot", ParamType::Int, "0", "solved train examples put before every prompt (train and eval)")
        .range(0, 16);
inline constexpr ParamSpec kDataSeed =
    param("data_seed", ParamType::Int, "0",
          "seed of the built-in data, the entity split and the few-shot picks; -1 = the trial seed (fixed by "
          "default, so every trial seed sees the same data and the same pretrained base model)")
        .range(-1, 2147483647);
inline constexpr ParamSpec kMaxExampleBytes =
    param("max_example_bytes", ParamType::Int, "96",
          "refuse a config whose prompt + answer (or longest choice) exceeds this many bytes in some example; 96 = "
          "the built-in model's context; 0 = no limit (real benchmarks need 0 or a long-context model)")
        .range(0, 1e9);

constexpr ParamSpec n_train(const char* doc) { return param("n_train", ParamType::Int, "0", doc).range(0, 1e8); }
constexpr ParamSpec n_eval(const char* doc) { return param("n_eval", ParamType::Int, "0", doc).range(0, 1e8); }
constexpr ParamSpec data_file(const char* name, const char* doc) { return param(name, ParamType::String, "", doc); }

}  // namespace remix::tasks::params
