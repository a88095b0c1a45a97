// `remix report DB [--sweep S] [--where KEY=VALUE] [--against KEY=VALUE [--replicate KEY]] [--select-by METRIC]
// -o report.html`: the sweep's charts and table as one self-contained HTML file.
#include <fmt/core.h>

#include <memory>

#include "cli/commands.h"
#include "common/atomic_file.h"
#include "common/log.h"
#include "report/html_report.h"
#include "store/results_store.h"

namespace remix::cli {

namespace {

struct ReportOptions {
  std::string db, sweep, output = "report.html";
  std::vector<std::string> where, replicates;
  std::string against, select_by, select_over = "train.lr";
};

int write_report(const ReportOptions& o) {
  auto db = store::open_store(o.db, store::Access::ReadOnly);
  std::optional<report::PairedQuery> against;
  if (!o.against.empty()) {
    against = report::parse_against(o.against);
    against->replicates = o.replicates;
  }
  std::optional<report::SelectionQuery> select;
  if (!o.select_by.empty()) select = report::SelectionQuery{o.select_by, o.select_over, {}};
  std::string html = report::render_report(*db, o.sweep, report::parse_where(o.where), against, select);
  write_file_atomically(o.output, html);
  log::info("wrote {} ({} KiB)", o.output, html.size() / 1024);
  return 0;
}

}  // namespace

void add_report_command(CLI::App& app, const GlobalOptions&, Action& action) {
  auto o = std::make_shared<ReportOptions>();
  auto* cmd = app.add_subcommand("report", "write an HTML report (SVG charts, results table) of a sweep");
  cmd->add_option("db", o->db, "results database")->required();
  cmd->add_option("--sweep", o->sweep, "sweep name (default: every trial in the database)");
  cmd->add_option("--where", o->where,
                  "keep trials whose KEY has VALUE, or one of VALUE,VALUE... (repeatable), as remix results");
  auto* against = cmd->add_option(
      "--against", o->against,
      "KEY=VALUE: add each group's paired differences from these baseline trials (as remix results)");
  cmd->add_option("--replicate", o->replicates,
                  "with --against: a key whose values are draws the seeds share (as remix results)")
      ->needs(against);
  auto* select_by =
      cmd->add_option("--select-by", o->select_by,
                      "a validation metric: report each group at the --select-over value with its best mean (as remix "
                      "results)");
  cmd->add_option("--select-over", o->select_over, "the key --select-by chooses a value of")
      ->capture_default_str()
      ->needs(select_by);
  cmd->add_option("-o,--output", o->output, "HTML file to write")->capture_default_str();
  cmd->callback([o, &action] { action = [o] { return write_report(*o); }; });
}

}  // namespace remix::cli
