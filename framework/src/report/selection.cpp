// Selection on the validation split (see selection.h).
#include "report/selection.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "common/text.h"
#include "remix/errors.h"

namespace remix::report {

double selection_value(const TrialRecord& trial, const std::string& metric) {
  if (auto it = trial.metrics.find(metric); it != trial.metrics.end()) return it->second;
  // "val/loss": the mean of "val/<task>/loss" over the tasks this trial records it for.
  auto slash = metric.find('/');
  if (slash == std::string::npos || metric.find('/', slash + 1) != std::string::npos) return std::nan("");
  const std::string stage = metric.substr(0, slash + 1), name = metric.substr(slash);
  double sum = 0;
  int n = 0;
  for (const auto& [key, value] : trial.metrics) {
    if (!text::starts_with(key, stage) || !text::ends_with(key, name)) continue;
    auto middle = key.substr(stage.size(), key.size() - stage.size() - name.size());
    if (middle.empty() || middle.find('/') != std::string::npos) continue;  // exactly one task between them
    sum += value;
    ++n;
  }
  return n ? sum / n : std::nan("");
}

namespace {

struct Candidate {
  std::string value;
  double mean = 0, std = 0;
  int n = 0;
};

// Mean and sample std of the metric over the completed trials.
Candidate summarise(const std::string& value, const std::vector<const TrialRecord*>& trials,
                    const std::string& metric) {
  Candidate c{value};
  std::vector<double> xs;
  for (const auto* t : trials) {
    double v = t->status == "completed" ? selection_value(*t, metric) : std::nan("");
    if (std::isfinite(v)) xs.push_back(v);
  }
  c.n = static_cast<int>(xs.size());
  for (double x : xs) c.mean += x / c.n;
  for (double x : xs) c.std += c.n > 1 ? (x - c.mean) * (x - c.mean) / (c.n - 1) : 0;
  c.std = std::sqrt(c.std);
  return c;
}

std::string param_of(const TrialRecord& t, const std::string& key) {
  auto it = t.params.find(key);
  return it == t.params.end() ? "?" : it->second;
}

}  // namespace

Selection select_by(const std::vector<TrialRecord>& all, const SelectionQuery& q) {
  auto trials = filter_trials(all, q.where);
  std::set<std::string> values;
  for (const auto& t : trials) values.insert(param_of(t, q.over));
  if (values.size() < 2)
    throw UserError(
        fmt::format("--select-over {}: the key does not vary among the trials ({}); nothing to choose "
                    "between",
                    q.over, values.empty() ? "none" : text::join({values.begin(), values.end()}, ", ")));
  bool recorded = false;
  std::set<std::string> val_metrics;
  for (const auto& t : trials) {
    recorded = recorded || std::isfinite(selection_value(t, q.metric));
    for (const auto& [k, v] : t.metrics)
      if (text::starts_with(k, "val/")) val_metrics.insert(k);
  }
  if (!recorded)
    throw UserError(fmt::format(
        "--select-by {}: no trial records it; {}", q.metric,
        val_metrics.empty() ? std::string("these trials have no validation split (run them with eval.validation: N, "
                                          "training examples per task held out)")
                            : "recorded: " + text::join({val_metrics.begin(), val_metrics.end()}, ", ")));

  // The groups: what varies once the searched key is set aside.
  std::vector<TrialRecord> without = trials;
  for (auto& t : without) t.params.erase(q.over);
  auto keys = varying_keys(without);
  std::vector<const TrialRecord*> ordered;
  for (const auto& t : trials) ordered.push_back(&t);
  auto order = keys;
  order.push_back(q.over);
  order_by_keys(ordered, order);
  std::vector<std::string> group_order, value_order;
  std::map<std::string, std::map<std::string, std::vector<const TrialRecord*>>> groups;
  for (const auto* t : ordered) {
    auto g = label_of(*t, keys);
    if (!groups.count(g)) group_order.push_back(g);
    groups[g][param_of(*t, q.over)].push_back(t);
  }
  order_by_keys(ordered, {q.over});  // the candidates' columns: numbers ascending
  for (const auto* t : ordered)
    if (std::find(value_order.begin(), value_order.end(), param_of(*t, q.over)) == value_order.end())
      value_order.push_back(param_of(*t, q.over));

  Selection out;
  out.choices.columns = {keys.empty() ? "trials" : text::join(keys, ", "), q.over + " chosen"};
  for (const auto& v : value_order) out.choices.columns.push_back(q.over + "=" + v);
  const bool lower = lower_is_better(q.metric);
  std::set<const TrialRecord*> keep;
  for (const auto& g : group_order) {
    std::vector<Candidate> candidates;
    const Candidate* best = nullptr;
    for (const auto& v : value_order) {
      auto it = groups[g].find(v);
      candidates.push_back(
          summarise(v, it == groups[g].end() ? std::vector<const TrialRecord*>{} : it->second, q.metric));
    }
    for (const auto& c : candidates)
      if (c.n && (!best || (lower ? c.mean < best->mean : c.mean > best->mean))) best = &c;
    std::vector<nlohmann::json> row{g, best ? best->value : "none (no " + q.metric + ")"};
    for (const auto& c : candidates) {
      std::string cell = c.n == 0   ? (groups[g].count(c.value) ? "missing" : "")
                         : c.n == 1 ? fmt::format("{:.4g} (n=1)", c.mean)
                                    : fmt::format("{:.4g} ± {:.2g} (n={})", c.mean, c.std, c.n);
      row.emplace_back(cell + (best == &c ? " *" : ""));
    }
    out.choices.rows.push_back(std::move(row));
    if (best)
      for (const auto* t : groups[g][best->value]) keep.insert(t);
  }
  for (const auto& t : trials)
    if (keep.count(&t)) out.kept.push_back(t);
  return out;
}

}  // namespace remix::report
