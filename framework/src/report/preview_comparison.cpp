// Previews against real trials (see preview_comparison.h).
#include "report/preview_comparison.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <set>

#include "common/text.h"
#include "config/task_weights.h"
#include "remix/errors.h"
#include "store/sql_value.h"

namespace remix::report {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::int64_t id_of(const store::SqlValue& v) { return std::get<std::int64_t>(v); }

// The sweep the previews came from: the one named, or the only one.
std::string preview_sweep(store::ResultsStore& store, const std::string& sweep) {
  // A database written before previews existed (schema 1) is read-only here and has no preview_sources.
  auto version = store.read("SELECT max(version) FROM schema_version").rows.at(0).at(0);
  if (std::holds_alternative<std::int64_t>(version) && std::get<std::int64_t>(version) < 2)
    throw UserError(fmt::format("{}: no previews (schema version {}, written before remix preview existed)",
                                store.location(), std::get<std::int64_t>(version)));
  if (!sweep.empty()) {
    store.find_sweep(sweep);  // a UserError naming the sweeps there are
    return sweep;
  }
  std::vector<std::string> names;
  for (const auto& r : store.read("SELECT DISTINCT w.name FROM preview_sources p JOIN sweep_runs s ON s.run_id = "
                                  "p.source_run_id JOIN sweeps w ON w.id = s.sweep_id ORDER BY w.name")
                           .rows)
    names.push_back(store::to_text(r[0]));
  if (names.empty()) throw UserError(fmt::format("{}: no previews recorded; make them with remix preview", store.location()));
  if (names.size() > 1)
    throw UserError(fmt::format("{}: previews of several sweeps ({}); choose one with --sweep", store.location(),
                                text::join(names, ", ")));
  return names[0];
}

// Final metrics of the runs, by run.
std::map<std::int64_t, std::map<std::string, double>> finals(store::ResultsStore& store, const std::string& runs_sql,
                                                             const std::vector<store::SqlValue>& params) {
  std::map<std::int64_t, std::map<std::string, double>> out;
  for (const auto& r : store.read("SELECT run_id, key, value FROM latest_metrics WHERE value IS NOT NULL AND run_id IN (" +
                                      runs_sql + ")",
                                  params)
                           .rows)
    out[id_of(r[0])][store::to_text(r[1])] = store::as_double(r[2]);
  return out;
}

void fill_values(WeightingPoint& p, const std::map<std::string, double>& metrics, const std::vector<std::string>& names) {
  double sum = 0;
  int n = 0;
  for (const auto& m : names) {
    auto it = metrics.find("final/" + m);
    if (it == metrics.end()) continue;
    p.values[m] = it->second;
    sum += it->second;
    ++n;
  }
  if (n == static_cast<int>(names.size()) && n > 0) p.values["mean"] = sum / n;
}

std::vector<double> ranks(const std::vector<double>& v) {
  std::vector<std::size_t> order(v.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return v[a] < v[b]; });
  std::vector<double> r(v.size());
  for (std::size_t i = 0; i < order.size();) {
    std::size_t j = i;
    while (j + 1 < order.size() && v[order[j + 1]] == v[order[i]]) ++j;
    for (std::size_t k = i; k <= j; ++k) r[order[k]] = (static_cast<double>(i + j) / 2.0) + 1;
    i = j + 1;
  }
  return r;
}

}  // namespace

double spearman(const std::vector<double>& a, const std::vector<double>& b) {
  if (a.size() != b.size() || a.size() < 3) return kNaN;
  auto ra = ranks(a), rb = ranks(b);
  double n = static_cast<double>(a.size()), ma = std::accumulate(ra.begin(), ra.end(), 0.0) / n,
         mb = std::accumulate(rb.begin(), rb.end(), 0.0) / n;
  double sab = 0, saa = 0, sbb = 0;
  for (std::size_t i = 0; i < ra.size(); ++i) {
    sab += (ra[i] - ma) * (rb[i] - mb);
    saa += (ra[i] - ma) * (ra[i] - ma);
    sbb += (rb[i] - mb) * (rb[i] - mb);
  }
  return saa > 0 && sbb > 0 ? sab / std::sqrt(saa * sbb) : kNaN;
}

PreviewData load_preview_data(store::ResultsStore& store, const std::string& sweep_name) {
  PreviewData d;
  d.sweep = preview_sweep(store, sweep_name);
  auto sweep_id = store.find_sweep(d.sweep);
  const std::string previews_sql =
      "SELECT DISTINCT p.preview_run_id FROM preview_sources p JOIN sweep_runs s ON s.run_id = p.source_run_id "
      "WHERE s.sweep_id = ?";
  std::map<std::string, std::string> label_of;  // group JSON -> label
  std::set<std::string> metric_names;
  auto preview_finals = finals(store, previews_sql, {sweep_id});
  for (const auto& r : store.read("SELECT id, config FROM runs WHERE status = 'completed' AND id IN (" + previews_sql +
                                      ") ORDER BY id",
                                  {sweep_id})
                           .rows) {
    auto config = nlohmann::json::parse(store::to_text(r[1]));
    WeightingPoint p;
    p.run_id = id_of(r[0]);
    p.group = config.value("label", "all");
    p.rule = config["preview"]["rule"].get<std::string>();
    p.weights = config["preview"]["weights"].get<std::map<std::string, double>>();
    p.weighting = config::Weighting{p.weights}.name();
    auto& m = preview_finals[p.run_id];
    if (auto s = m.find("preview/seconds"); s != m.end()) p.seconds = s->second;
    label_of[config["group"].dump()] = p.group;
    if (std::find(d.groups.begin(), d.groups.end(), p.group) == d.groups.end()) d.groups.push_back(p.group);
    if (std::find(d.rules.begin(), d.rules.end(), p.rule) == d.rules.end()) d.rules.push_back(p.rule);
    for (const auto& [task, w] : p.weights)
      if (std::find(d.tasks.begin(), d.tasks.end(), task) == d.tasks.end()) d.tasks.push_back(task);
    for (const auto& [k, v] : m)
      if (text::starts_with(k, "final/") && !text::starts_with(k, "final/routing/") &&
          !text::starts_with(k, "final/params/") && !text::ends_with(k, "/loss"))  // a task's score, not its loss
        metric_names.insert(k.substr(6));
    d.previews.push_back(std::move(p));
  }
  if (d.previews.empty())
    throw UserError(fmt::format("{}: no completed previews of sweep '{}'; make them with remix preview {} --tasks-from {}",
                                store.location(), d.sweep, store.location(), d.sweep));
  std::sort(d.tasks.begin(), d.tasks.end());
  for (const auto& task : d.tasks)  // each task's headline metric: the first it has
    for (const auto& m : metric_names)
      if (text::starts_with(m, task + "/")) {
        d.metrics.push_back(m);
        break;
      }
  std::vector<std::string> task_metrics = d.metrics;
  d.metrics.push_back("mean");
  for (auto& p : d.previews) fill_values(p, preview_finals[p.run_id], task_metrics);

  auto trial_finals = finals(store, "SELECT run_id FROM sweep_runs WHERE sweep_id = ?", {sweep_id});
  for (const auto& r : store.read("SELECT r.id, r.config, r.started_at, r.ended_at FROM runs r JOIN sweep_runs s ON "
                                  "s.run_id = r.id WHERE s.sweep_id = ? AND r.status = 'completed' AND r.kind = 'trial' "
                                  "ORDER BY s.position",
                                  {sweep_id})
                           .rows) {
    auto tree = nlohmann::json::parse(store::to_text(r[1]));
    auto label = label_of.find(config::without_task_weights(tree).dump());
    if (label == label_of.end()) continue;  // a group nothing was previewed for
    WeightingPoint p;
    p.run_id = id_of(r[0]);
    p.group = label->second;
    p.rule = "real";
    p.weights = config::weighting_of(tree, fmt::format("run {}", p.run_id)).weights;
    p.weighting = config::Weighting{p.weights}.name();
    p.seconds = store::as_double(r[3]) - store::as_double(r[2]);
    fill_values(p, trial_finals[p.run_id], task_metrics);
    d.real.push_back(std::move(p));
  }
  return d;
}

PreviewTables preview_tables(const PreviewData& d) {
  PreviewTables t;
  t.side_by_side.columns = {"group", "weighting", "metric", "real"};
  for (const auto& rule : d.rules) t.side_by_side.columns.push_back(rule);
  t.agreement.columns = {"group", "rule", "metric", "n", "spearman", "n_mixed", "spearman_mixed", "preview_pick",
                         "real_best", "regret"};
  t.speed.columns = {"group", "rule", "previews", "preview_s", "real_trials", "real_s", "speedup"};
  auto value = [](const WeightingPoint* p, const std::string& m) -> nlohmann::json {
    if (!p) return nullptr;
    auto it = p->values.find(m);
    return it == p->values.end() ? nlohmann::json(nullptr) : nlohmann::json(it->second);
  };
  auto number = [](double v) { return std::isfinite(v) ? nlohmann::json(std::round(v * 1e4) / 1e4) : nlohmann::json(nullptr); };
  for (const auto& group : d.groups) {
    std::vector<const WeightingPoint*> real;
    for (const auto& p : d.real)
      if (p.group == group) real.push_back(&p);
    auto preview_at = [&](const std::string& rule, const std::string& weighting) -> const WeightingPoint* {
      for (const auto& p : d.previews)
        if (p.group == group && p.rule == rule && p.weighting == weighting) return &p;
      return nullptr;
    };
    for (const auto* r : real)
      for (const auto& m : d.metrics) {
        std::vector<nlohmann::json> row = {group, r->weighting, m, value(r, m)};
        for (const auto& rule : d.rules) row.push_back(value(preview_at(rule, r->weighting), m));
        t.side_by_side.rows.push_back(row);
      }
    double real_seconds = 0;
    for (const auto* r : real) real_seconds += r->seconds / static_cast<double>(real.size());
    for (const auto& rule : d.rules) {
      for (const auto& m : d.metrics) {
        std::vector<double> pv, rv, pv_mixed, rv_mixed;
        const WeightingPoint *pick = nullptr, *best = nullptr;
        double pick_value = 0, best_value = 0;
        for (const auto* r : real) {
          const auto* p = preview_at(rule, r->weighting);
          if (!p || !p->values.count(m) || !r->values.count(m)) continue;
          pv.push_back(p->values.at(m));
          rv.push_back(r->values.at(m));
          if (config::task_alone(config::Weighting{r->weights}).empty()) {
            pv_mixed.push_back(pv.back());
            rv_mixed.push_back(rv.back());
          }
          if (!pick || pv.back() > pick_value) pick = r, pick_value = pv.back();
          if (!best || rv.back() > best_value) best = r, best_value = rv.back();
        }
        if (pv.empty()) continue;
        t.agreement.rows.push_back({group, rule, m, static_cast<std::int64_t>(pv.size()), number(spearman(pv, rv)),
                                    static_cast<std::int64_t>(pv_mixed.size()), number(spearman(pv_mixed, rv_mixed)),
                                    pick->weighting, best->weighting, number(best_value - pick->values.at(m))});
      }
      int previews = 0;
      double seconds = 0;
      for (const auto& p : d.previews)
        if (p.group == group && p.rule == rule) ++previews, seconds += p.seconds;
      if (previews == 0) continue;  // a rule this group's runs do not allow (delta-w for a mixture)
      double preview_seconds = seconds / previews;
      t.speed.rows.push_back({group, rule, previews, number(preview_seconds), static_cast<std::int64_t>(real.size()),
                              number(real.empty() ? kNaN : real_seconds),
                              number(real.empty() ? kNaN : real_seconds / preview_seconds)});
    }
  }
  return t;
}

}  // namespace remix::report
