// The sweep's trial queue in SQLite (see trial_queue.h).
#include "sweep/trial_queue.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <iterator>

#include <fmt/format.h>

#include "common/clock.h"
#include "common/text.h"
#include "remix/errors.h"
#include "store/provenance.h"

namespace remix::sweep {

Shard parse_shard(const std::string& text) {
  auto parts = text::split(text, '/');
  Shard s;
  try {
    if (parts.size() != 2) throw std::invalid_argument("");
    std::size_t a = 0, b = 0;
    s.index = std::stoll(parts[0], &a);
    s.count = std::stoll(parts[1], &b);
    if (a != parts[0].size() || b != parts[1].size()) throw std::invalid_argument("");
  } catch (const std::exception&) {
    throw UserError(fmt::format("--shard '{}': expected i/N, e.g. 0/4", text));
  }
  if (s.count < 1 || s.index < 0 || s.index >= s.count)
    throw UserError(fmt::format("--shard '{}': needs 0 <= i < N", text));
  return s;
}

std::int64_t TrialQueue::register_sweep(const std::string& experiment, const SweepPlan& plan,
                                        const std::vector<ResolvedTrial>& trials) {
  auto experiment_id = db_.ensure_experiment(experiment);
  auto& db = db_.db();
  store::Transaction tx(db);
  db.prepare("INSERT INTO sweeps (experiment_id, name, spec, created_at) VALUES (?, ?, ?, ?) "
             "ON CONFLICT (experiment_id, name) DO UPDATE SET spec = excluded.spec")
      .bind(1, experiment_id)
      .bind(2, plan.name)
      .bind(3, plan.spec.dump())
      .bind(4, now_seconds())
      .run();
  auto st = db.prepare("SELECT id FROM sweeps WHERE experiment_id = ? AND name = ?");
  st.bind(1, experiment_id).bind(2, plan.name).step();
  std::int64_t sweep_id = st.column_int(0);
  st.reset();
  auto insert_run = db.prepare(
      "INSERT OR IGNORE INTO runs (run_key, experiment_id, name, kind, created_at, config) "
      "VALUES (?, ?, ?, 'trial', ?, ?)");
  auto run_id = db.prepare("SELECT id FROM runs WHERE run_key = ?");
  auto link = db.prepare("INSERT OR REPLACE INTO sweep_runs (sweep_id, run_id, position) VALUES (?, ?, ?)");
  auto params = db.prepare("INSERT OR IGNORE INTO params (run_id, key, value) VALUES (?, ?, ?)");
  db.prepare("DELETE FROM sweep_runs WHERE sweep_id = ?").bind(1, sweep_id).run();
  for (std::size_t i = 0; i < trials.size(); ++i) {
    const auto& t = trials[i];
    insert_run.bind(1, t.config.trial_key()).bind(2, experiment_id).bind(3, t.spec.name).bind(4, now_seconds());
    insert_run.bind(5, t.config.tree().dump()).run();
    run_id.bind(1, t.config.trial_key()).step();
    std::int64_t id = run_id.column_int(0);
    run_id.reset();
    link.bind(1, sweep_id).bind(2, id).bind(3, static_cast<std::int64_t>(i)).run();
    for (const auto& [k, v] : t.config.flatten()) params.bind(1, id).bind(2, k).bind(3, v).run();
  }
  tx.commit();
  return sweep_id;
}

std::int64_t TrialQueue::find_sweep(const std::string& name) {
  auto st = db_.db().prepare("SELECT id FROM sweeps WHERE name = ? ORDER BY id DESC LIMIT 1");
  st.bind(1, name);
  if (st.step()) return st.column_int(0);
  std::vector<std::string> known;
  auto all = db_.db().prepare("SELECT DISTINCT name FROM sweeps ORDER BY name");
  while (all.step()) known.push_back(all.column_text(0));
  throw UserError(fmt::format("{}: no sweep named '{}'{}; sweeps: {}", db_.path(), name, text::did_you_mean(name, known),
                              known.empty() ? "none" : text::join(known, ", ")));
}

namespace {

// Whether `pid` on this host is still a remix process running trial `run_id` (pids are reused).
bool trial_process_alive(std::int64_t pid, std::int64_t run_id) {
  if (pid <= 0 || (kill(static_cast<pid_t>(pid), 0) != 0 && errno != EPERM)) return false;
  std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline", std::ios::binary);
  std::string cmdline((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (auto& c : cmdline)
    if (c == '\0') c = ' ';
  // A worker between claim and start, or the trial process itself.
  return cmdline.find("remix") != std::string::npos &&
         (cmdline.find("--run-id " + std::to_string(run_id) + " ") != std::string::npos ||
          cmdline.find(" trial ") == std::string::npos);
}

}  // namespace

std::optional<QueuedTrial> TrialQueue::claim(std::int64_t sweep_id, const Shard& shard, double stale_seconds,
                                             const std::set<std::int64_t>& exclude) {
  auto& db = db_.db();
  store::Transaction tx(db);
  double now = now_seconds();
  // A trial `running` on this host whose process is gone (killed with its worker) need not wait to go stale.
  auto orphans = db.prepare(
      "SELECT r.id, r.pid FROM runs r JOIN sweep_runs s ON s.run_id = r.id WHERE s.sweep_id = ? AND "
      "r.status = 'running' AND r.host = ?");
  orphans.bind(1, sweep_id).bind(2, store::host_name());
  std::vector<std::int64_t> gone;
  while (orphans.step())
    if (!trial_process_alive(orphans.column_int(1), orphans.column_int(0))) gone.push_back(orphans.column_int(0));
  orphans.reset();
  for (auto id : gone)
    db.prepare("UPDATE runs SET status = 'interrupted', error = 'its process ended without recording an end' "
               "WHERE id = ?")
        .bind(1, id)
        .run();
  std::vector<std::string> ids;
  for (auto id : exclude) ids.push_back(std::to_string(id));
  auto pick = db.prepare(fmt::format(
      "SELECT r.id, s.position, r.attempt, r.run_key, r.name, r.status FROM runs r "
      "JOIN sweep_runs s ON s.run_id = r.id WHERE s.sweep_id = ? AND s.position % ? = ? AND "
      "(r.status IN ('pending', 'interrupted') OR (r.status = 'running' AND coalesce(r.heartbeat, 0) < ?)) "
      "AND r.id NOT IN ({}) ORDER BY s.position LIMIT 1",
      text::join(ids, ", ")));
  pick.bind(1, sweep_id).bind(2, shard.count).bind(3, shard.index).bind(4, now - stale_seconds);
  if (!pick.step()) return std::nullopt;
  QueuedTrial t{pick.column_int(0), pick.column_int(1), pick.column_int(2) + 1, pick.column_text(3),
                pick.column_text(4), "running"};
  pick.reset();
  db.prepare("UPDATE runs SET status = 'running', attempt = attempt + 1, heartbeat = ?, host = ?, pid = ?, "
             "started_at = ?, ended_at = NULL, error = NULL, stderr_tail = NULL WHERE id = ?")
      .bind(1, now)
      .bind(2, store::host_name())
      .bind(3, static_cast<std::int64_t>(getpid()))
      .bind(4, now)
      .bind(5, t.run_id)
      .run();
  tx.commit();
  return t;
}

int TrialQueue::requeue_failed(std::int64_t sweep_id, const Shard& shard) {
  store::Transaction tx(db_.db());
  db_.db()
      .prepare("UPDATE runs SET status = 'pending' WHERE status = 'failed' AND id IN (SELECT run_id FROM sweep_runs "
               "WHERE sweep_id = ? AND position % ? = ?)")
      .bind(1, sweep_id)
      .bind(2, shard.count)
      .bind(3, shard.index)
      .run();
  int n = db_.db().changes();
  tx.commit();
  return n;
}

std::vector<QueuedTrial> TrialQueue::trials(std::int64_t sweep_id) {
  std::vector<QueuedTrial> out;
  auto st = db_.db().prepare(
      "SELECT r.id, s.position, r.attempt, r.run_key, r.name, r.status FROM runs r JOIN sweep_runs s "
      "ON s.run_id = r.id WHERE s.sweep_id = ? ORDER BY s.position");
  st.bind(1, sweep_id);
  while (st.step())
    out.push_back({st.column_int(0), st.column_int(1), st.column_int(2), st.column_text(3), st.column_text(4),
                   st.column_text(5)});
  return out;
}

}  // namespace remix::sweep
