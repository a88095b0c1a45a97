// Comparison tables (see results.h).
#include "report/results.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <optional>
#include <set>

#include "common/text.h"
#include "config/core_schema.h"
#include "remix/errors.h"

namespace remix::report {

namespace {

std::string format_cell(const Aggregate& a) {
  std::string extra;
  if (a.failed) extra += fmt::format(", {} failed", a.failed);
  if (a.unfinished) extra += fmt::format(", {} unfinished", a.unfinished);
  if (a.n == 0) return a.failed ? fmt::format("failed ({})", a.failed) : a.unfinished ? "unfinished" : "missing";
  // Counts (parameter totals) stay whole numbers instead of 4.531e+04; totals of 1e9 and more (FLOPs, 13 digits
  // beside a 2-digit spread) read better in 4 significant digits, as every other figure.
  bool whole = a.mean == std::round(a.mean) && std::abs(a.mean) < 1e9;
  std::string mean = whole ? fmt::format("{:.0f}", a.mean) : fmt::format("{:.4g}", a.mean);
  if (a.n == 1) return fmt::format("{} (n=1{})", mean, extra);  // one seed: no spread to show
  return fmt::format("{} ± {:.2g} (n={}{})", mean, a.std, a.n, extra);
}

}  // namespace

std::string metric_column(const std::string& metric) { return metric.substr(metric.find('/') + 1); }

std::string label_of(const TrialRecord& t, const std::vector<std::string>& keys) {
  std::vector<std::string> parts;
  for (const auto& k : keys) {
    auto it = t.params.find(k);
    std::string v = it == t.params.end() ? "?" : it->second;
    parts.push_back(keys.size() == 1 ? v : k + "=" + v);
  }
  return parts.empty() ? "all" : text::join(parts, " ");
}

void order_by_keys(std::vector<const TrialRecord*>& trials, const std::vector<std::string>& keys) {
  auto value = [](const TrialRecord& t, const std::string& k) {
    auto it = t.params.find(k);
    return it == t.params.end() ? std::string("?") : it->second;
  };
  std::map<std::string, std::map<std::string, std::size_t>> first_seen;
  for (const auto& k : keys)
    for (const auto* t : trials) first_seen[k].emplace(value(*t, k), first_seen[k].size());
  std::stable_sort(trials.begin(), trials.end(), [&](const TrialRecord* a, const TrialRecord* b) {
    for (const auto& k : keys) {
      auto va = value(*a, k), vb = value(*b, k);
      if (va == vb) continue;
      auto na = as_number(va), nb = as_number(vb);
      if (na && nb) return *na < *nb;
      return first_seen[k][va] < first_seen[k][vb];
    }
    return false;
  });
}

Aggregate aggregate(const std::vector<const TrialRecord*>& trials, const std::string& metric) {
  Aggregate a;
  std::vector<double> values;
  for (const auto* t : trials) {
    auto it = t->metrics.find(metric);
    if (t->status == "completed" && it != t->metrics.end() && std::isfinite(it->second)) values.push_back(it->second);
    else if (t->status == "failed") ++a.failed;
    else ++a.unfinished;
  }
  a.n = static_cast<int>(values.size());
  if (a.n == 0) return a;
  for (double v : values) a.mean += v;
  a.mean /= a.n;
  if (a.n > 1) {
    double ss = 0;
    for (double v : values) ss += (v - a.mean) * (v - a.mean);
    a.std = std::sqrt(ss / (a.n - 1));
  }
  return a;
}

bool lower_is_better(const std::string& metric) {
  return metric.find("loss") != std::string::npos || metric.find("perplexity") != std::string::npos;
}

// Counts such as final/params/lora_active_per_token describe a trial; they are not better or worse.
bool is_score(const std::string& metric) {
  return !text::starts_with(metric, "final/params/") && !text::starts_with(metric, "compute/");
}

// Routing diagnostics (ESS, q-ESS, distinct selections) say how a router routes: compared between groups, marked best
// in none (a sharper q is not a better result; ESS = k is ReMix's construction).
bool has_better_direction(const std::string& metric) {
  return is_score(metric) && metric.find("routing/") == std::string::npos;
}

std::vector<std::string> varying_keys(const std::vector<TrialRecord>& trials) {
  std::map<std::string, std::set<std::string>> values;
  for (const auto& t : trials)
    for (const auto& [k, v] : t.params) values[k].insert(v);
  std::vector<std::string> out;
  for (const auto& [k, vs] : values) {
    if (vs.size() < 2 || k == "seed" || text::starts_with(k, "sweep.")) continue;
    const ParamSpec* spec = config::find_core_spec(k);
    if (spec && (spec->flags & kParamNotInKey)) continue;
    out.push_back(k);
  }
  // A key whose value follows from another's (a bundle axis setting router.plugin with its adapter shape) adds
  // nothing to the grouping: dropped, those with the fewest distinct values first. Only a function of one other key
  // counts: a key the others determine only together (the base of a table whose two routers each ran on one base
  // but both at one rate) may be exactly what tells two rows apart. Bug: such a key was dropped, and trials of two
  // bases shared one unlabelled column.
  auto follows_from = [&](const std::string& k, const std::string& j) {
    std::map<std::string, std::string> seen;  // j's value -> k's value
    for (const auto& t : trials) {
      auto value_of = [&](const std::string& key) {
        auto it = t.params.find(key);
        return it == t.params.end() ? std::string("?") : it->second;
      };
      auto [it, inserted] = seen.emplace(value_of(j), value_of(k));
      if (!inserted && it->second != value_of(k)) return false;
    }
    return true;
  };
  std::vector<std::string> order = out;
  std::stable_sort(order.begin(), order.end(),
                   [&](const std::string& a, const std::string& b) { return values[a].size() < values[b].size(); });
  std::vector<std::string> kept = out;
  for (const auto& k : order) {
    if (kept.size() == 1) break;
    for (const auto& j : kept)
      if (j != k && follows_from(k, j)) {
        kept.erase(std::find(kept.begin(), kept.end(), k));
        break;
      }
  }
  return kept;
}

ResultsTable results_table(const std::vector<TrialRecord>& all, const ResultsQuery& q) {
  auto filtered = filter_trials(all, q.where);
  // A --rows/--cols key no trial has is a typo (or an axis these trials' names do not carry), not a column of '?'.
  std::vector<std::pair<std::string, std::string>> asked;
  for (const auto& k : q.rows) asked.emplace_back("--rows", k);
  if (!q.cols.empty()) asked.emplace_back("--cols", q.cols);
  for (const auto& [option, k] : asked) {
    bool found = std::any_of(filtered.begin(), filtered.end(), [&](const TrialRecord& t) { return t.params.count(k); });
    if (!found && !filtered.empty())
      throw UserError(fmt::format("{} {}: no trial has the key '{}'{}", option, k, k,
                                  text::did_you_mean(k, known_keys(filtered))));
  }
  std::vector<const TrialRecord*> trials;
  for (const auto& t : filtered) trials.push_back(&t);
  std::vector<std::string> rows = q.rows;
  if (rows.empty()) {
    std::vector<TrialRecord> kept;
    for (const auto* t : trials) kept.push_back(*t);
    rows = varying_keys(kept);
    rows.erase(std::remove(rows.begin(), rows.end(), q.cols), rows.end());
  }
  std::vector<std::string> metrics = q.metrics;
  // `math/exact_match` means `final/math/exact_match` when only that one was recorded.
  auto recorded = [&](const std::string& m) {
    for (const auto* t : trials)
      if (t->metrics.count(m)) return true;
    return false;
  };
  for (auto& m : metrics)
    if (!recorded(m) && recorded("final/" + m)) m = "final/" + m;
  if (metrics.empty()) {
    std::set<std::string> names;
    for (const auto* t : trials)
      for (const auto& [k, v] : t->metrics)
        if (text::starts_with(k, "final/")) names.insert(k);
    metrics.assign(names.begin(), names.end());
  }
  if (!q.cols.empty() && metrics.size() != 1)
    throw UserError(fmt::format("--cols {} puts one metric in the table; choose it with --metric (one of: {})", q.cols,
                                metrics.empty() ? "none recorded" : text::join(metrics, ", ")));

  order_by_keys(trials, rows);
  // Row and column labels in order of first appearance.
  std::vector<std::string> row_labels, col_labels;
  std::map<std::pair<std::string, std::string>, std::vector<const TrialRecord*>> cells;
  auto add_label = [](std::vector<std::string>& labels, const std::string& l) {
    if (std::find(labels.begin(), labels.end(), l) == labels.end()) labels.push_back(l);
  };
  for (const auto* t : trials) {
    std::string r = label_of(*t, rows);
    add_label(row_labels, r);
    if (q.cols.empty()) {
      for (const auto& m : metrics) {
        add_label(col_labels, m);
        cells[{r, m}].push_back(t);
      }
    } else {
      std::string c = label_of(*t, {q.cols});
      add_label(col_labels, c);
      cells[{r, c}].push_back(t);
    }
  }

  ResultsTable out;
  out.wide.columns = {rows.empty() ? "trials" : text::join(rows, ", ")};
  for (const auto& c : col_labels) out.wide.columns.push_back(q.cols.empty() ? metric_column(c) : c);
  out.long_.columns = {"row", "column", "metric", "mean", "std", "n", "failed", "unfinished", "best"};
  // The best mean of each column, by the metric's direction.
  std::map<std::string, double> best;
  for (const auto& c : col_labels) {
    const std::string& metric = q.cols.empty() ? c : metrics[0];
    for (const auto& r : row_labels) {
      auto a = aggregate(cells[{r, c}], metric);
      if (a.n == 0) continue;
      auto it = best.find(c);
      if (it == best.end() || (lower_is_better(metric) ? a.mean < it->second : a.mean > it->second)) best[c] = a.mean;
    }
  }
  for (const auto& r : row_labels) {
    std::vector<nlohmann::json> wide_row{r};
    for (const auto& c : col_labels) {
      const std::string& metric = q.cols.empty() ? c : metrics[0];
      auto a = aggregate(cells[{r, c}], metric);
      // A best mark says a mean over seeds leads its column; one seed cannot say that.
      bool is_best = a.n > 1 && best.count(c) && a.mean == best[c] && row_labels.size() > 1 && has_better_direction(metric);
      wide_row.emplace_back(format_cell(a) + (is_best ? " *" : ""));
      out.long_.rows.push_back({r, q.cols.empty() ? "" : c, metric, a.n ? nlohmann::json(a.mean) : nlohmann::json(),
                                a.n > 1 ? nlohmann::json(a.std) : nlohmann::json(), a.n, a.failed, a.unfinished, is_best});
    }
    out.wide.rows.push_back(std::move(wide_row));
  }
  return out;
}

}  // namespace remix::report
