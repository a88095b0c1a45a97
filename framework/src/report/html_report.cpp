// Building the HTML report from the results database (see html_report.h).
#include "report/html_report.h"

#include <fmt/format.h>

#include <cmath>
#include <ctime>
#include <map>
#include <set>

#include "common/build_info.h"
#include "common/text.h"
#include "remix/errors.h"
#include "report/preview_comparison.h"
#include "report/results.h"
#include "report/svg_chart.h"
#include "report/table.h"

namespace remix::report {

namespace {

// A run group: the trials that differ only by seed.
struct Group {
  std::string label;
  std::vector<const TrialRecord*> trials;
};

// `keys`: the config keys whose values tell the groups apart.
std::vector<Group> group_trials(const std::vector<TrialRecord>& trials, const std::vector<std::string>& keys) {
  std::vector<const TrialRecord*> ordered;
  for (const auto& t : trials) ordered.push_back(&t);
  order_by_keys(ordered, keys);
  std::vector<Group> groups;
  for (const auto* trial : ordered) {
    const auto& t = *trial;
    std::vector<std::string> parts;
    // Values only ("remix · 0.003"): chart legends have room for about 20 characters; the page says which
    // keys the values belong to.
    for (const auto& k : keys) parts.push_back(t.params.at(k));
    std::string label = parts.empty() ? "all" : text::join(parts, " · ");
    auto it = std::find_if(groups.begin(), groups.end(), [&](const Group& g) { return g.label == label; });
    if (it == groups.end()) groups.push_back({label, {&t}});
    else it->trials.push_back(&t);
  }
  return groups;
}

// Mean over a group's runs of a metric's history, step by step.
Series group_series(store::ResultsStore& store, const Group& g, const std::string& key) {
  std::map<std::int64_t, std::pair<double, int>> by_step;
  for (const auto* t : g.trials) {
    for (const auto& r : store.read("SELECT step, value FROM metrics WHERE run_id = ? AND key = ? AND value IS NOT "
                                    "NULL ORDER BY step",
                                    {t->run_id, key})
                             .rows) {
      auto& acc = by_step[std::get<std::int64_t>(r[0])];
      acc.first += std::holds_alternative<double>(r[1]) ? std::get<double>(r[1])
                                                        : static_cast<double>(std::get<std::int64_t>(r[1]));
      acc.second += 1;
    }
  }
  Series s;
  s.label = g.label;
  for (const auto& [step, acc] : by_step) {
    s.x.push_back(static_cast<double>(step));
    s.y.push_back(acc.first / acc.second);
  }
  return s;
}

double mean_of(const Group& g, const std::string& metric) {
  double sum = 0;
  int n = 0;
  for (const auto* t : g.trials) {
    auto it = t->metrics.find(metric);
    if (it != t->metrics.end() && std::isfinite(it->second)) sum += it->second, ++n;
  }
  return n ? sum / n : std::nan("");
}

// Per-site expert use of a group: the share of the applied weight on each expert (routing/<site>/weight/<i>),
// or for runs recorded before it existed the share of selections (load/<i>), which a dense router makes uniform.
HeatMap load_map(const Group& g, int index) {
  HeatMap h;
  h.id = fmt::format("load-{}", index);
  h.row_label = "site";
  h.col_label = "expert";
  auto named = [&](const std::string& part) {
    std::set<std::string> names;
    for (const auto* t : g.trials)
      for (const auto& [k, v] : t->metrics)
        if (text::starts_with(k, "routing/") && k.find(part) != std::string::npos) names.insert(k);
    return names;
  };
  std::string part = "/weight/";
  auto metric_names = named(part);
  if (metric_names.empty()) metric_names = named(part = "/load/");
  h.title = (part == "/weight/" ? "share of the applied weight per expert and routing site: "
                                : "expert load (share of selections) per routing site: ") +
            g.label;
  std::map<std::string, std::map<int, double>> cells;
  int max_expert = -1;
  for (const auto& k : metric_names) {
    auto pos = k.find(part);
    std::string site = k.substr(8, pos - 8);
    int expert = std::stoi(k.substr(pos + part.size()));
    cells[site][expert] = mean_of(g, k);
    max_expert = std::max(max_expert, expert);
  }
  for (int e = 0; e <= max_expert; ++e) h.cols.push_back(std::to_string(e));
  for (const auto& [site, experts] : cells) {
    h.rows.push_back(site);
    std::vector<double> row(static_cast<std::size_t>(max_expert + 1), std::nan(""));
    for (const auto& [e, v] : experts) row[static_cast<std::size_t>(e)] = v;
    h.values.push_back(row);
  }
  return h;
}

// The task metrics (`losses` false) or the held-out answer losses (true) of the final evaluation, one bar per group.
BarChart eval_bars(const std::vector<Group>& groups, bool losses) {
  BarChart c;
  c.id = losses ? "eval-loss" : "eval";
  c.title = losses ? "held-out answer loss, nats per token (mean ± std over seeds)"
                   : "evaluation metrics (mean ± std over seeds)";
  c.y_label = losses ? "loss" : "score";
  std::set<std::string> metrics;
  for (const auto& g : groups)
    for (const auto* t : g.trials)
      for (const auto& [k, v] : t->metrics)
        if (text::starts_with(k, "final/") && !text::starts_with(k, "final/routing") && !text::starts_with(k, "final/train") &&
            !text::starts_with(k, "final/params") && text::ends_with(k, "/loss") == losses)
          metrics.insert(k);
  for (const auto& g : groups) c.bar_labels.push_back(g.label);
  for (const auto& m : metrics) {
    BarGroup bg;
    bg.label = m.substr(6);
    for (const auto& g : groups) {
      auto a = aggregate(g.trials, m);
      bg.mean.push_back(a.n ? a.mean : std::nan(""));
      bg.err.push_back(a.n ? a.std : std::nan(""));
    }
    c.groups.push_back(std::move(bg));
  }
  return c;
}

std::string html_table(const Table& t) {
  std::string s = "<table>\n<tr>";
  for (const auto& c : t.columns) s += "<th>" + escape_xml(c) + "</th>";
  s += "</tr>\n";
  for (const auto& row : t.rows) {
    s += "<tr>";
    for (const auto& cell : row) s += "<td>" + escape_xml(cell_text(cell)) + "</td>";
    s += "</tr>\n";
  }
  return s + "</table>\n";
}

// For each group and pair of tasks, the real trials and each rule's previews in the plane of the two tasks'
// headline metrics: the Pareto front the previews estimate. Empty when nothing was previewed.
std::string preview_section(store::ResultsStore& store, const std::string& sweep) {
  PreviewData data;
  try {
    data = load_preview_data(store, sweep);
  } catch (const UserError&) {
    return "";  // no previews of this sweep (or a database from before previews)
  }
  std::string html = "<h2>Task weightings: previews against real trials</h2>\n";
  html += "<p class=\"meta\">previews merged from the per-task runs of sweep " + escape_xml(data.sweep) +
          " (remix preview); each point one weighting of the tasks</p>\n";
  std::size_t task_metrics = data.metrics.size() - 1;  // the last is the mean
  int chart = 0;
  for (const auto& group : data.groups)
    for (std::size_t i = 0; i < task_metrics; ++i)
      for (std::size_t j = i + 1; j < task_metrics; ++j) {
        const auto &mx = data.metrics[i], &my = data.metrics[j];
        LineChart c{fmt::format("pareto-{}", chart++), group + ": " + mx + " against " + my, mx, my, {}};
        auto add = [&](const std::vector<WeightingPoint>& points, const std::string& rule, int color) {
          Series s;
          s.label = rule;
          s.markers = true;
          s.color = color;
          for (const auto& p : points)
            if (p.group == group && p.rule == rule && p.values.count(mx) && p.values.count(my)) {
              s.x.push_back(p.values.at(mx));
              s.y.push_back(p.values.at(my));
            }
          if (!s.x.empty()) c.series.push_back(std::move(s));
        };
        for (std::size_t r = 0; r < data.rules.size(); ++r) add(data.previews, data.rules[r], static_cast<int>(r) + 1);
        add(data.real, "real", 0);  // last: drawn on top of the previews
        html += render_svg(c);
      }
  return html + "<div class=\"scroll\">" + html_table(preview_tables(data).agreement) + "</div>\n";
}

std::string paired_section(store::ResultsStore& store, const std::vector<TrialRecord>& trials, const PairedQuery& q) {
  auto table = paired_comparison(trials, load_final_outcomes(store), q);
  std::string html = "<h2>Paired differences against " + escape_xml(q.key + "=" + q.value) + "</h2>\n";
  html += "<div class=\"scroll\">" + html_table(table.wide) + "</div>\n";
  const std::string by = q.replicates.empty() ? "seed" : text::join(q.replicates, ", ") + " and seed";
  html += "<p class=\"meta\">group − baseline, paired by " + escape_xml(by) +
          " and eval example; lines: 95% paired bootstrap over " + escape_xml(by) + " and examples; filled: it "
          "excludes zero</p>\n";
  std::vector<std::string> order;
  std::map<std::string, IntervalChart> charts;
  for (const auto& row : table.long_.rows) {
    if (row[4].is_null()) continue;  // no paired seeds
    const auto metric = row[3].get<std::string>();
    if (!charts.count(metric)) {
      order.push_back(metric);
      charts[metric] = {"paired-" + metric, metric + " − baseline", "difference", {}};
    }
    auto label = row[0].get<std::string>();
    if (row[1] != "all") label += " · " + row[1].get<std::string>();
    charts[metric].rows.push_back(
        {label, row[4].get<double>(), row[5].get<double>(), row[6].get<double>(), row[12].get<bool>()});
  }
  for (const auto& m : order) html += render_svg(charts[m]);
  return html;
}

}  // namespace

std::string render_report(store::ResultsStore& store, const std::string& sweep, const WhereFilter& where,
                          const std::optional<PairedQuery>& against, const std::optional<SelectionQuery>& select) {
  auto loaded = load_trials(store, sweep);
  std::vector<std::string> asked;
  for (const auto& [k, v] : where) asked.push_back(k);
  if (against) {
    asked.push_back(against->key);
    asked.insert(asked.end(), against->replicates.begin(), against->replicates.end());
  }
  add_tag_keys(store, loaded, asked);
  add_axis_keys(loaded, asked);
  auto trials = filter_trials(loaded, where);
  if (trials.empty())
    throw UserError(fmt::format("{}: no trials to report{}{}", store.location(), sweep.empty() ? "" : " in sweep '" + sweep + "'",
                                where.empty() ? "" : " matching --where"));
  std::optional<Selection> selection;
  if (select) {
    selection = select_by(trials, *select);
    trials = selection->kept;
  }
  auto keys = varying_keys(trials);
  auto groups = group_trials(trials, keys);

  LineChart loss{"train-loss", "training loss (mean over seeds)", "step", "train/loss", {}};
  LineChart ess{"routing-ess", "routing ESS of the applied weights: mean (solid), worst token (dashed)", "step", "ESS", {}};
  for (std::size_t i = 0; i < groups.size(); ++i) {
    auto s = group_series(store, groups[i], "train/loss");
    s.color = static_cast<int>(i);
    loss.series.push_back(s);
    auto mean = group_series(store, groups[i], "routing/ess_mean");
    auto worst = group_series(store, groups[i], "routing/ess_worst");  // the worst token of any site
    mean.color = worst.color = static_cast<int>(i);
    mean.label += " mean";
    worst.label += " worst";
    worst.dashed = true;
    ess.series.push_back(mean);
    ess.series.push_back(worst);
  }
  std::map<std::string, int> status_counts;
  for (const auto& t : trials) ++status_counts[t.status];
  std::vector<std::string> counts;
  for (const auto& [s, n] : status_counts) counts.push_back(fmt::format("{} {}", n, s));

  std::time_t now = std::time(nullptr);
  char when[64];
  std::strftime(when, sizeof(when), "%Y-%m-%d %H:%M UTC", std::gmtime(&now));
  std::string title = sweep.empty() ? "all trials" : sweep;
  std::vector<std::string> conditions;
  for (const auto& [k, v] : where) conditions.push_back(k + "=" + v);
  if (!conditions.empty()) title += " where " + text::join(conditions, ", ");
  std::string html = fmt::format(
      "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>remix report: {0}</title>\n<style>\n"
      "body {{ font-family: sans-serif; margin: 2em; color: #222; }} h2 {{ margin-top: 1.6em; }}\n"
      "table {{ border-collapse: collapse; font-size: 13px; }} td, th {{ border: 1px solid #ccc; padding: 3px 8px; }}\n"
      "th {{ background: #f3f3f3; }} svg.chart {{ display: block; margin: 0.8em 0; border: 1px solid #eee; }}\n"
      ".meta {{ color: #666; font-size: 13px; }}\n"
      ".scroll {{ max-width: 100%; overflow-x: auto; }}\n</style></head><body>\n"
      "<h1>remix report: {0}</h1>\n<p class=\"meta\">{1} &middot; {2} trials ({3}) &middot; generated {4} by remix {5}</p>\n",
      escape_xml(title), escape_xml(store.location()), trials.size(),
      escape_xml(text::join(counts, ", ")), when, build_info::version());
  // Wide sweeps make wide tables: they scroll inside the page instead of widening it.
  if (selection)
    html += fmt::format("<h2>{} chosen on {}</h2>\n<div class=\"scroll\">{}</div>\n<p class=\"meta\">mean over "
                        "seeds; * chosen ({} is best); the rest of the report shows only the chosen trials</p>\n",
                        escape_xml(select->over), escape_xml(select->metric), html_table(selection->choices),
                        lower_is_better(select->metric) ? "lowest" : "highest");
  html += "<h2>Results</h2>\n<div class=\"scroll\">" + html_table(results_table(trials, ResultsQuery{}).wide) + "</div>\n";
  html += "<p class=\"meta\">mean ± sample std over seeds (n = completed trials); * best in column</p>\n";
  if (!keys.empty())
    html += "<p class=\"meta\">chart groups: " + escape_xml(text::join(keys, " · ")) + " (seeds averaged)</p>\n";
  html += "<h2>Evaluation</h2>\n" + render_svg(eval_bars(groups, false));
  if (auto losses = eval_bars(groups, true); !losses.groups.empty()) html += render_svg(losses);
  html += "<h2>Training loss</h2>\n" + render_svg(loss);
  html += "<h2>Routing weights</h2>\n" + render_svg(ess);
  html += "<h2>Expert load</h2>\n";
  for (std::size_t i = 0; i < groups.size(); ++i) html += render_svg(load_map(groups[i], static_cast<int>(i)));
  if (against) html += paired_section(store, trials, *against);
  html += preview_section(store, sweep);
  return html + "</body></html>\n";
}

}  // namespace remix::report
