// `remix results DB`: comparison tables (mean ± std over seeds) of a sweep; `remix runs DB`: every run with
// its status, attempts, timings and final metrics. Both open the database read-only.
#include <fmt/core.h>

#include <cmath>
#include <map>
#include <memory>

#include "cli/commands.h"
#include "common/text.h"
#include "remix/errors.h"
#include "report/paired_comparison.h"
#include "report/preview_comparison.h"
#include "report/results.h"
#include "report/selection.h"
#include "report/table.h"
#include "store/results_store.h"

namespace remix::cli {

namespace {

struct ResultsOptions {
  std::string db, sweep, rows, cols, against, select_by, select_over = "train.lr", format = "table";
  std::vector<std::string> metrics, where, replicates;
  bool previews = false;
};

// Previews of the sweep's task weightings against its real trials at the same weightings.
int print_previews(const ResultsOptions& o, store::ResultsStore& db) {
  auto data = report::load_preview_data(db, o.sweep);
  auto tables = report::preview_tables(data);
  auto format = report::parse_table_format(o.format);
  bool text = format == report::TableFormat::Text || format == report::TableFormat::Markdown;
  if (!text) {  // machine-readable: the three tables one after the other, each its own document
    for (const auto* t : {&tables.side_by_side, &tables.agreement, &tables.speed}) fmt::print("{}", report::render(*t, format));
    return 0;
  }
  fmt::print("Previews of sweep '{}' against its real trials, per task (final headline metric)\n\n", data.sweep);
  fmt::print("{}", report::render(tables.side_by_side, format));
  fmt::print("\nAgreement over the weightings with a real trial: Spearman rank correlation (all of them, and the "
             "mixed ones only:\na one-hot arithmetic preview is its own source run), the weighting each rule's "
             "preview picks and its regret\n(real value of the real best minus real value of the pick)\n\n");
  fmt::print("{}", report::render(tables.agreement, format));
  fmt::print("\nTime: a preview (merge + evaluation) against a real multitask trial\n\n");
  fmt::print("{}", report::render(tables.speed, format));
  if (data.real.empty())
    fmt::print("\nno completed real trial shares a group with the previews: nothing to compare yet\n");
  return 0;
}

int print_paired(const ResultsOptions& o, store::ResultsStore& db, const std::vector<report::TrialRecord>& trials,
                 const report::ResultsQuery& results_query) {
  auto q = report::parse_against(o.against);
  q.metrics = results_query.metrics;
  q.where = results_query.where;
  q.replicates = o.replicates;
  auto table = report::paired_comparison(trials, report::load_final_outcomes(db), q);
  auto format = report::parse_table_format(o.format);
  bool wide = format == report::TableFormat::Text || format == report::TableFormat::Markdown;
  fmt::print("{}", report::render(wide ? table.wide : table.long_, format));
  if (wide && o.replicates.empty())
    fmt::print("\ndifference = group − baseline ({}), paired by seed and by eval example where each run recorded "
               "them;\n95% intervals: paired bootstrap over seeds and examples, and the t-interval over the seeds' "
               "means;\n* the bootstrap interval excludes zero\n",
               o.against);
  if (wide && !o.replicates.empty())
    fmt::print("\ndifference = group − baseline ({0}), paired by {1} and seed, and by eval example where each run "
               "recorded them;\n95% intervals: paired bootstrap over {1} values, seeds within each and examples,\n"
               "and the t-interval over the {1} values' means (with few values the bootstrap is too narrow: read the "
               "t-interval);\n* the bootstrap interval excludes zero\n",
               o.against, text::join(o.replicates, ", "));
  return 0;
}

int print_results(const ResultsOptions& o) {
  auto db = store::open_store(o.db, store::Access::ReadOnly);
  if (o.previews) return print_previews(o, *db);
  report::ResultsQuery q;
  if (!o.rows.empty()) q.rows = text::split(o.rows, ',');
  q.cols = o.cols;
  q.metrics = o.metrics;
  q.where = report::parse_where(o.where);
  auto trials = report::load_trials(*db, o.sweep);
  if (trials.empty()) throw UserError(fmt::format("{}: no trials{}", o.db, o.sweep.empty() ? "" : " in sweep '" + o.sweep + "'"));
  std::vector<std::string> keys = q.rows;
  keys.push_back(q.cols);
  for (const auto& [k, v] : q.where) keys.push_back(k);
  keys.push_back(o.against.substr(0, o.against.find('=')));
  keys.insert(keys.end(), o.replicates.begin(), o.replicates.end());
  report::add_tag_keys(*db, trials, keys);
  report::add_axis_keys(trials, keys);
  auto format = report::parse_table_format(o.format);
  bool wide = format == report::TableFormat::Text || format == report::TableFormat::Markdown;
  if (!o.select_by.empty()) {  // the tables below then show only each group's chosen value
    auto selection = report::select_by(trials, {o.select_by, o.select_over, q.where});
    if (wide)
      fmt::print("{} chosen on {} (mean over seeds; * chosen: {} is best)\n\n{}\n", o.select_over, o.select_by,
                 report::lower_is_better(o.select_by) ? "lowest" : "highest",
                 report::render(selection.choices, format));
    trials = std::move(selection.kept);
    q.where.clear();
  }
  if (!o.against.empty()) return print_paired(o, *db, trials, q);
  auto table = report::results_table(trials, q);
  fmt::print("{}", report::render(wide ? table.wide : table.long_, format));
  if (wide) fmt::print("\nmean ± sample std over seeds (n = completed trials); * best in column\n");
  return 0;
}

struct RunsOptions {
  std::string db, format = "table", status;
};

int print_runs(const RunsOptions& o) {
  auto db = store::open_store(o.db, store::Access::ReadOnly);
  std::vector<store::SqlValue> params;
  std::string where;
  if (!o.status.empty()) {
    where = " WHERE status = ?";
    params.push_back(o.status);
  }
  auto runs = db->read("SELECT id, name, kind, status, attempt, started_at, ended_at, coalesce(error, '') FROM runs" +
                           where + " ORDER BY id",
                       params);
  // Each run's final metrics, "key=value" with 4 significant digits.
  std::map<std::int64_t, std::vector<std::string>> finals;
  for (const auto& r : db->read("SELECT run_id, key, value FROM latest_metrics WHERE substr(key, 1, 6) = 'final/' "
                                "AND value IS NOT NULL ORDER BY run_id, key")
                           .rows)
    finals[std::get<std::int64_t>(r[0])].push_back(
        fmt::format("{}={:.4g}", store::to_text(r[1]).substr(6), std::stod(store::to_text(r[2]))));
  report::Table t;
  t.columns = {"id", "name", "kind", "status", "attempt", "seconds", "final_metrics", "error"};
  for (const auto& r : runs.rows) {
    auto id = std::get<std::int64_t>(r[0]);
    nlohmann::json seconds = nullptr;
    if (!std::holds_alternative<std::monostate>(r[5]) && !std::holds_alternative<std::monostate>(r[6]))
      seconds = std::round((std::stod(store::to_text(r[6])) - std::stod(store::to_text(r[5]))) * 10) / 10;
    auto f = finals.find(id);
    t.rows.push_back({id, store::to_text(r[1]), store::to_text(r[2]), store::to_text(r[3]), std::get<std::int64_t>(r[4]),
                      seconds, f == finals.end() ? "" : text::join(f->second, " "),
                      store::to_text(r[7]).substr(0, 60)});
  }
  fmt::print("{}", report::render(t, report::parse_table_format(o.format)));
  return 0;
}

}  // namespace

void add_results_commands(CLI::App& app, const GlobalOptions&, Action& action) {
  auto o = std::make_shared<ResultsOptions>();
  auto* cmd = app.add_subcommand("results", "comparison table of a sweep: mean ± std over seeds");
  cmd->add_option("db", o->db, "results database")->required();
  cmd->add_option("--sweep", o->sweep, "sweep name (default: every trial in the database)");
  auto* rows = cmd->add_option("--rows", o->rows, "config keys whose values make the rows, comma-separated (default: what varies)");
  auto* cols = cmd->add_option("--cols", o->cols, "a config key whose values make the columns (default: one column per metric)");
  auto* metric = cmd->add_option("--metric", o->metrics, "metric(s) to show (default: every final/... metric)");
  auto* where = cmd->add_option("--where", o->where,
                                "keep trials whose KEY has VALUE, or one of VALUE,VALUE... (repeatable: every KEY must "
                                "match; tag:NAME is a recorded tag, e.g. tag:cpu.model)");
  auto* against = cmd->add_option("--against", o->against,
                                  "KEY=VALUE: each group's paired difference from the baseline trials with that value, "
                                  "with 95% intervals (bootstrap over seeds and examples, seed-level t)");
  against->excludes(rows)->excludes(cols);
  cmd->add_option("--replicate", o->replicates,
                  "with --against: a key whose values are draws the seeds share, not conditions (base.pretrain.seed: "
                  "one base per value); pairs by it and the seed, intervals over its values (repeatable)")
      ->needs(against);
  auto* select_by = cmd->add_option(
      "--select-by", o->select_by,
      "a validation metric (val/math/loss, or val/loss: the mean over tasks): in each group keep only the "
      "--select-over value with the best mean, then show the tables for those trials");
  cmd->add_option("--select-over", o->select_over, "the key --select-by chooses a value of")
      ->capture_default_str()
      ->needs(select_by);
  cmd->add_flag("--previews", o->previews,
                "previews of task weightings (remix preview) against the real trials: side by side, rank "
                "correlation, regret, speed")
      ->excludes(rows)
      ->excludes(cols)
      ->excludes(metric)
      ->excludes(where)
      ->excludes(against)
      ->excludes("--select-by");
  cmd->add_option("-f,--format", o->format, "output format")
      ->check(CLI::IsMember({"table", "markdown", "csv", "json"}))
      ->capture_default_str();
  cmd->callback([o, &action] { action = [o] { return print_results(*o); }; });

  auto r = std::make_shared<RunsOptions>();
  auto* runs = app.add_subcommand("runs", "list the runs of a results database with status and final metrics");
  runs->add_option("db", r->db, "results database")->required();
  runs->add_option("--status", r->status, "only runs with this status")
      ->check(CLI::IsMember({"pending", "running", "completed", "failed", "interrupted"}));
  runs->add_option("-f,--format", r->format, "output format")
      ->check(CLI::IsMember({"table", "markdown", "csv", "json"}))
      ->capture_default_str();
  runs->callback([r, &action] { action = [r] { return print_runs(*r); }; });
}

}  // namespace remix::cli
