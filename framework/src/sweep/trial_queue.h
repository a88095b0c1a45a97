// The trials of a sweep as a queue in the results database. Registering writes the whole trial list (runs
// `pending`, linked to the sweep in order) before anything runs; workers then claim trials atomically in one
// IMMEDIATE transaction. A trial is claimable when it is pending, interrupted, or running with a heartbeat
// older than the stale limit (its worker died; it resumes from its checkpoint). Completed trials are never
// run again; failed ones only when asked.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "store/results_db.h"
#include "sweep/expansion.h"

namespace remix::sweep {

struct Shard {
  std::int64_t index = 0, count = 1;  // this worker takes trials whose position % count == index
};
// Parses "i/N" (0 <= i < N); throws UserError otherwise.
Shard parse_shard(const std::string& text);

struct QueuedTrial {
  std::int64_t run_id = 0, position = 0, attempt = 0;
  std::string run_key, name, status;
};

class TrialQueue {
 public:
  explicit TrialQueue(store::ResultsDb& db) : db_(db) {}

  // Records the sweep and its trials; trials already in the database (same trial key) keep their state.
  // Returns the sweep id.
  std::int64_t register_sweep(const std::string& experiment, const SweepPlan& plan,
                              const std::vector<ResolvedTrial>& trials);
  // The sweep's id, or throws UserError naming the sweeps that exist.
  std::int64_t find_sweep(const std::string& name);
  // Claims the next trial for this worker (none of `exclude`, the trials it already ran): status -> running,
  // attempt + 1, heartbeat now.
  std::optional<QueuedTrial> claim(std::int64_t sweep_id, const Shard& shard, double stale_seconds,
                                   const std::set<std::int64_t>& exclude = {});
  // Puts the sweep's failed trials back to pending (for --retry-failed); returns how many.
  int requeue_failed(std::int64_t sweep_id, const Shard& shard);
  std::vector<QueuedTrial> trials(std::int64_t sweep_id);

 private:
  store::ResultsDb& db_;
};

}  // namespace remix::sweep
