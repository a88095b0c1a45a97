// Summary of a sweep's trials (see trial_table.h).
#include "cli/trial_table.h"

#include <map>
#include <set>

#include "common/log.h"
#include "plugin/registry.h"
#include "store/query.h"
#include "sweep/expansion.h"
#include "sweep/trial_queue.h"

namespace remix::cli {

RegisteredSweep register_experiment(const GlobalOptions& g, const std::string& file,
                                    const std::vector<std::string>& overrides) {
  auto plan = sweep::expand_sweep(file, overrides);
  auto trials = sweep::resolve_trials(plan, plugin::schema_lookup(g.plugin_paths));
  const auto& first = trials.front().config;
  RegisteredSweep r{first.get_string("experiment.db"), plan.name, 0, trials.size()};
  store::ResultsDb db(r.db_path);
  sweep::TrialQueue queue(db);
  r.id = queue.register_sweep(first.get_string("experiment.name"), plan, trials);
  log::info("{}: {} trial{} in sweep '{}' of {}", file, trials.size(), trials.size() == 1 ? "" : "s", plan.name,
            r.db_path);
  return r;
}

report::Table trial_table(store::ResultsDb& db, std::int64_t sweep_id) {
  auto runs = store::query(db.db(), "SELECT r.id, r.name, r.status, r.attempt, coalesce(r.error, '') FROM runs r "
                                    "JOIN sweep_runs s ON s.run_id = r.id WHERE s.sweep_id = " +
                                        std::to_string(sweep_id) + " ORDER BY s.position");
  // Final metrics are the ones the trainer logs under "final/".
  auto finals = store::query(db.db(), "SELECT m.run_id, m.key, m.value FROM latest_metrics m JOIN sweep_runs s ON "
                                      "s.run_id = m.run_id WHERE s.sweep_id = " +
                                          std::to_string(sweep_id) + " AND m.key LIKE 'final/%' ORDER BY m.key");
  std::set<std::string> keys;
  std::map<std::pair<std::int64_t, std::string>, store::SqlValue> value;
  for (const auto& r : finals.rows) {
    auto key = std::get<std::string>(r[1]).substr(6);
    keys.insert(key);
    value[{std::get<std::int64_t>(r[0]), key}] = r[2];
  }
  report::Table t;
  t.columns = {"trial", "status", "attempt"};
  t.columns.insert(t.columns.end(), keys.begin(), keys.end());
  t.columns.push_back("error");
  for (const auto& r : runs.rows) {
    std::vector<nlohmann::json> row = {std::get<std::string>(r[1]), std::get<std::string>(r[2]), std::get<std::int64_t>(r[3])};
    for (const auto& k : keys) {
      auto it = value.find({std::get<std::int64_t>(r[0]), k});
      if (it != value.end() && std::holds_alternative<double>(it->second)) row.emplace_back(std::get<double>(it->second));
      else row.emplace_back(nullptr);
    }
    std::string error = std::get<std::string>(r[4]);
    row.emplace_back(error.substr(0, error.find('\n')).substr(0, 80));
    t.rows.push_back(std::move(row));
  }
  return t;
}

std::vector<std::string> trial_arguments(const GlobalOptions& g) {
  std::vector<std::string> args;
  for (const auto& p : g.plugin_paths) {
    args.push_back("--plugin-path");
    args.push_back(p);
  }
  if (g.quiet) args.push_back("--quiet");
  if (g.verbose) args.push_back("--verbose");
  return args;
}

}  // namespace remix::cli
