// Paired comparisons against a baseline (see paired_comparison.h).
#include "report/paired_comparison.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "common/text.h"
#include "remix/errors.h"
#include "report/paired_difference.h"

namespace remix::report {

namespace {

std::string param(const TrialRecord& t, const std::string& key) {
  auto it = t.params.find(key);
  return it == t.params.end() ? "?" : it->second;
}

// Signed, 4 significant digits; what is zero but for rounding (a mean of +0.1, +0.2 and -0.3) prints as +0.
std::string signed_text(double x) { return fmt::format("{:+.4g}", std::abs(x) < 1e-12 ? 0.0 : x); }

std::string interval_text(const Interval& i) { return "[" + signed_text(i.low) + ", " + signed_text(i.high) + "]"; }

}  // namespace

PairedQuery parse_against(const std::string& against) {
  auto eq = against.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == against.size())
    throw UserError("--against '" + against + "': expected KEY=VALUE (the baseline, e.g. router.plugin=softmax)");
  return {against.substr(0, eq), against.substr(eq + 1), {}, {}, {}};
}

FinalOutcomes load_final_outcomes(store::ResultsStore& store) {
  FinalOutcomes out;
  // A database of a remix that did not record outcomes (schema < 3; read-only, so not migrated) has none; any other
  // read error is the user's to see.
  auto version = store.read("SELECT max(version) FROM schema_version");
  if (version.rows.empty() || !std::holds_alternative<std::int64_t>(version.rows[0][0]) ||
      std::get<std::int64_t>(version.rows[0][0]) < 3)
    return out;
  auto rows = store.read("SELECT run_id, metric, step, score FROM eval_outcomes WHERE substr(metric, 1, 5) = 'eval/' "
                         "ORDER BY run_id, metric, step, example");
  std::map<std::pair<std::int64_t, std::string>, std::int64_t> last_step;
  for (const auto& r : rows.rows) {
    auto run = std::get<std::int64_t>(r[0]);
    auto metric = "final/" + store::to_text(r[1]).substr(std::string("eval/").size());
    auto step = std::get<std::int64_t>(r[2]);
    auto& last = last_step[{run, metric}];
    auto& scores = out[run][metric];
    if (scores.empty() || step > last) scores.clear(), last = step;
    if (step == last) scores.push_back(std::get<double>(r[3]));
  }
  return out;
}

PairedTable paired_comparison(const std::vector<TrialRecord>& all, const FinalOutcomes& outcomes,
                              const PairedQuery& q) {
  std::vector<TrialRecord> trials;
  for (auto& t : filter_trials(all, q.where))
    if (t.status == "completed") trials.push_back(t);
  std::vector<std::string> axis_keys = q.replicates;
  axis_keys.push_back(q.key);
  add_axis_keys(trials, axis_keys);
  auto keys = varying_keys(trials);
  if (!trials.empty() &&
      std::none_of(trials.begin(), trials.end(), [&](const TrialRecord& t) { return t.params.count(q.key) > 0; }))
    throw UserError(fmt::format("--against {}={}: no completed trial has the key '{}'{}", q.key, q.value, q.key,
                                text::did_you_mean(q.key, known_keys(trials))));
  std::set<std::string> key_values;
  for (const auto& t : trials) key_values.insert(param(t, q.key));
  if (key_values.size() < 2)
    throw UserError(fmt::format("--against {}={}: '{}' does not vary among the completed trials{}", q.key, q.value,
                                q.key, keys.empty() ? "" : "; these do: " + text::join(keys, ", ")));
  for (const auto& r : q.replicates) {
    if (r == q.key)
      throw UserError(fmt::format("--replicate {}: it is the --against key; a key is one or the other", r));
    if (r == "seed")
      throw UserError("--replicate seed: pairs are always by seed; name what the seeds share, e.g. base.pretrain.seed");
    if (std::none_of(trials.begin(), trials.end(), [&](const TrialRecord& t) { return t.params.count(r) > 0; }))
      throw UserError(fmt::format("--replicate {}: no completed trial has that key{}{}", r,
                                  text::did_you_mean(r, known_keys(trials)),
                                  keys.empty() ? "" : "; these vary: " + text::join(keys, ", ")));
  }
  // The groups: what varies besides the key and the replicates, less what the key's value decides (a key the tables
  // may show in its place, like router.plugin beside a key that sets it).
  std::vector<TrialRecord> without = trials;
  for (auto& t : without) {
    t.params.erase(q.key);
    for (const auto& r : q.replicates) t.params.erase(r);
  }
  std::vector<std::string> others;
  for (const auto& k : varying_keys(without)) {
    std::map<std::string, std::set<std::string>> values_of;
    for (const auto& t : trials) values_of[param(t, q.key)].insert(param(t, k));
    bool decided = std::all_of(values_of.begin(), values_of.end(), [](const auto& v) { return v.second.size() == 1; });
    if (!decided) others.push_back(k);
  }
  // (the other keys' label, the key's value) -> (cluster, seed) -> trial. Without replicates each seed is its own
  // cluster.
  using Unit = std::pair<std::string, std::string>;
  auto unit_of = [&](const TrialRecord& t) -> Unit {
    return {q.replicates.empty() ? param(t, "seed") : label_of(t, q.replicates), param(t, "seed")};
  };
  std::map<std::pair<std::string, std::string>, std::map<Unit, const TrialRecord*>> groups;
  std::vector<const TrialRecord*> ordered;
  for (const auto& t : trials) ordered.push_back(&t);
  auto order = others;
  order.insert(order.begin(), q.key);
  order_by_keys(ordered, order);
  std::vector<std::pair<std::string, std::string>> group_order;
  std::set<std::string> values;
  for (const auto* t : ordered) {
    std::pair<std::string, std::string> g{label_of(*t, others), param(*t, q.key)};
    values.insert(g.second);
    if (!groups.count(g)) group_order.push_back(g);
    groups[g][unit_of(*t)] = t;
  }
  auto is_baseline = [&](const std::string& v) { return same_value(v, q.value); };
  if (std::none_of(values.begin(), values.end(), is_baseline))
    throw UserError(fmt::format("--against {}={}: no completed trial has that value; {} is one of: {}", q.key, q.value,
                                q.key, text::join({values.begin(), values.end()}, ", ")));
  std::vector<std::string> metrics = q.metrics;
  if (metrics.empty()) {
    std::set<std::string> seen;
    for (const auto& t : trials)
      for (const auto& [m, v] : t.metrics)
        if (text::starts_with(m, "final/") && is_score(m) && seen.insert(m).second) metrics.push_back(m);
    std::sort(metrics.begin(), metrics.end());
  }

  PairedTable out;
  out.wide.columns = {q.key};
  if (!others.empty()) out.wide.columns.push_back(others.size() == 1 ? others[0] : "group");
  const std::string clusters_name = text::join(q.replicates, ", ");
  for (std::string c : {"metric", "difference", "95% bootstrap", "95% t (seeds)", "seeds", "examples"})
    out.wide.columns.push_back(c == "95% t (seeds)" && !q.replicates.empty() ? "95% t (" + clusters_name + ")" : c);
  if (!q.replicates.empty()) out.wide.columns.push_back(clusters_name);
  out.long_.columns = {q.key, "group", "baseline", "metric", "difference", "bootstrap_low", "bootstrap_high", "t_low",
                       "t_high", "seeds", "unpaired_seeds", "examples", "excludes_zero"};
  if (!q.replicates.empty()) out.long_.columns.push_back("clusters");
  for (const auto& g : group_order) {
    if (is_baseline(g.second)) continue;
    auto base = groups.find({g.first, q.value});
    if (base == groups.end())  // the baseline value as stored (1e-2 vs 0.01)
      for (auto it = groups.begin(); it != groups.end(); ++it)
        if (it->first.first == g.first && is_baseline(it->first.second)) base = it;
    for (const auto& metric : metrics) {
      std::map<std::string, std::vector<std::vector<double>>> diffs;  // cluster -> its seeds' differences
      int unpaired = 0;
      for (const auto& [unit, arm] : groups[g]) {
        const TrialRecord* b = nullptr;
        if (base != groups.end())
          if (auto it = base->second.find(unit); it != base->second.end()) b = it->second;
        if (!b || !arm->metrics.count(metric) || !b->metrics.count(metric)) {
          ++unpaired;
          continue;
        }
        const std::vector<double>* ea = nullptr;
        const std::vector<double>* eb = nullptr;
        if (auto ra = outcomes.find(arm->run_id); ra != outcomes.end())
          if (auto m = ra->second.find(metric); m != ra->second.end()) ea = &m->second;
        if (auto rb = outcomes.find(b->run_id); rb != outcomes.end())
          if (auto m = rb->second.find(metric); m != rb->second.end()) eb = &m->second;
        std::vector<double> d;
        if (ea && eb && ea->size() == eb->size() && !ea->empty())
          for (std::size_t i = 0; i < ea->size(); ++i) d.push_back((*ea)[i] - (*eb)[i]);
        else
          d.push_back(arm->metrics.at(metric) - b->metrics.at(metric));
        diffs[unit.first].push_back(std::move(d));
      }
      std::vector<nlohmann::json> wide = {g.second};
      if (!others.empty()) wide.push_back(g.first);
      wide.push_back(metric_column(metric));
      if (diffs.empty()) {
        for (const char* c : {"no paired seeds", "", ""}) wide.push_back(c);
        wide.push_back(0);
        wide.push_back(0);
        if (!q.replicates.empty()) wide.push_back(0);
        out.wide.rows.push_back(wide);
        out.long_.rows.push_back({g.second, g.first, q.value, metric, nullptr, nullptr, nullptr, nullptr, nullptr, 0,
                                  unpaired, 0, false});
        if (!q.replicates.empty()) out.long_.rows.back().push_back(0);
        continue;
      }
      std::vector<std::vector<std::vector<double>>> clusters;
      for (auto& [label, seeds] : diffs) clusters.push_back(std::move(seeds));
      auto pd = clustered_paired_difference(clusters);
      const bool marked = pd.bootstrap.excludes_zero();
      wide.push_back(signed_text(pd.mean) + (marked ? " *" : ""));
      wide.push_back(interval_text(pd.bootstrap));
      wide.push_back(pd.t ? interval_text(*pd.t) : q.replicates.empty() ? "(one seed)" : "(one " + clusters_name + ")");
      wide.push_back(unpaired ? fmt::format("{} ({} unpaired)", pd.seeds, unpaired) : std::to_string(pd.seeds));
      wide.push_back(pd.examples);
      if (!q.replicates.empty()) wide.push_back(pd.clusters);
      out.wide.rows.push_back(wide);
      out.long_.rows.push_back({g.second, g.first, q.value, metric, pd.mean, pd.bootstrap.low, pd.bootstrap.high,
                                pd.t ? nlohmann::json(pd.t->low) : nullptr, pd.t ? nlohmann::json(pd.t->high) : nullptr,
                                pd.seeds, unpaired, pd.examples, marked});
      if (!q.replicates.empty()) out.long_.rows.back().push_back(pd.clusters);
    }
  }
  return out;
}

}  // namespace remix::report
