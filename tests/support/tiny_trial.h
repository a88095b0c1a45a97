// The tiny ReMix trial that tests run end to end through the `remix` binary (a 2-layer 128-wide base pretrained
// for 30 steps, 40 training steps with checkpoints every 10 and evaluation every 20), and what its database
// records.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "support/test_env.h"

namespace remix::test {

// Writes dir/exp.yaml (database dir/r.db, trial folders under dir/runs, the base cached under `cache`), with
// `extra` YAML appended; returns its path.
std::string tiny_config(const TempDir& dir, const std::string& cache, const std::string& extra = "");
// Every metric of the trial run except wall-clock speeds and times: key -> step -> value.
std::map<std::string, std::map<std::int64_t, double>> trial_metrics(const std::string& db);
std::string status_of(const std::string& db);  // the trial run's status
std::string base_sha(const std::string& db);   // the base model's recorded sha256

}  // namespace remix::test
