// A sweep's trials and their final metrics (see sweep_table.h).
#include "report/sweep_table.h"

#include <set>

namespace remix::report {

Table sweep_table(store::ResultsStore& store, std::int64_t sweep_id) {
  const std::string prefix = "final/";
  auto finals = store.latest_metrics(sweep_id, prefix);
  std::set<std::string> keys;
  for (const auto& [run, metrics] : finals)
    for (const auto& [key, value] : metrics) keys.insert(key.substr(prefix.size()));
  Table t;
  t.columns = {"trial", "status", "attempt"};
  t.columns.insert(t.columns.end(), keys.begin(), keys.end());
  t.columns.push_back("error");
  for (const auto& trial : store.sweep_trials(sweep_id)) {
    std::vector<nlohmann::json> row = {trial.name, trial.status, trial.attempt};
    auto metrics = finals.find(trial.run_id);
    for (const auto& k : keys) {
      if (metrics == finals.end() || !metrics->second.count(prefix + k)) {
        row.emplace_back(nullptr);
        continue;
      }
      row.emplace_back(metrics->second.at(prefix + k));
    }
    row.emplace_back(trial.error.substr(0, trial.error.find('\n')).substr(0, 80));
    t.rows.push_back(std::move(row));
  }
  return t;
}

}  // namespace remix::report
