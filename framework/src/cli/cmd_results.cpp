// `remix results DB`: comparison tables (mean ± std over seeds) of a sweep; `remix runs DB`: every run with
// its status, attempts, timings and final metrics. Both open the database read-only.
#include <fmt/core.h>

#include <memory>

#include "cli/commands.h"
#include "common/text.h"
#include "remix/errors.h"
#include "report/results.h"
#include "report/table.h"
#include "store/query.h"

namespace remix::cli {

namespace {

struct ResultsOptions {
  std::string db, sweep, rows, cols, format = "table";
  std::vector<std::string> metrics, where;
};

int print_results(const ResultsOptions& o) {
  auto db = store::open_readonly(o.db);
  report::ResultsQuery q;
  if (!o.rows.empty()) q.rows = text::split(o.rows, ',');
  q.cols = o.cols;
  q.metrics = o.metrics;
  q.where = report::parse_where(o.where);
  auto trials = report::load_trials(*db, o.sweep);
  if (trials.empty()) throw UserError(fmt::format("{}: no trials{}", o.db, o.sweep.empty() ? "" : " in sweep '" + o.sweep + "'"));
  auto table = report::results_table(trials, q);
  auto format = report::parse_table_format(o.format);
  bool wide = format == report::TableFormat::Text || format == report::TableFormat::Markdown;
  fmt::print("{}", report::render(wide ? table.wide : table.long_, format));
  if (wide) fmt::print("\nmean ± sample std over seeds (n = completed trials); * best in column\n");
  return 0;
}

struct RunsOptions {
  std::string db, format = "table", status;
};

int print_runs(const RunsOptions& o) {
  std::string where = o.status.empty() ? "" : " WHERE r.status = '" + o.status + "'";
  auto rows = store::query_readonly(
      o.db,
      "SELECT r.id, r.name, r.kind, r.status, r.attempt, "
      "CASE WHEN r.ended_at IS NOT NULL AND r.started_at IS NOT NULL THEN round(r.ended_at - r.started_at, 1) END "
      "AS seconds, (SELECT group_concat(substr(m.key, 7) || '=' || printf('%.4g', m.value), ' ') FROM latest_metrics m "
      "WHERE m.run_id = r.id AND m.key LIKE 'final/%') AS final_metrics, substr(coalesce(r.error, ''), 1, 60) AS error "
      "FROM runs r" + where + " ORDER BY r.id");
  fmt::print("{}", report::render(report::table_from_query(rows), report::parse_table_format(o.format)));
  return 0;
}

}  // namespace

void add_results_commands(CLI::App& app, const GlobalOptions&, Action& action) {
  auto o = std::make_shared<ResultsOptions>();
  auto* cmd = app.add_subcommand("results", "comparison table of a sweep: mean ± std over seeds");
  cmd->add_option("db", o->db, "results database")->required();
  cmd->add_option("--sweep", o->sweep, "sweep name (default: every trial in the database)");
  cmd->add_option("--rows", o->rows, "config keys whose values make the rows, comma-separated (default: what varies)");
  cmd->add_option("--cols", o->cols, "a config key whose values make the columns (default: one column per metric)");
  cmd->add_option("--metric", o->metrics, "metric(s) to show (default: every final/... metric)");
  cmd->add_option("--where", o->where, "keep trials whose KEY=VALUE (repeatable)");
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
