// `remix preview DB --tasks-from SWEEP --weights GRID [--rules ...]`: previews of task weightings by merging the
// sweep's per-task runs (preview/preview_runner.h), recorded in the database; prints one line per preview.
#include <fmt/format.h>

#include <memory>

#include "cli/commands.h"
#include "common/text.h"
#include "preview/preview_runner.h"
#include "store/results_store.h"

namespace remix::cli {

namespace {

struct PreviewOptions {
  std::string db;
  preview::PreviewRequest request;
};

int run_preview(PreviewOptions o, const GlobalOptions& global) {
  o.request.plugin_paths = global.plugin_paths;
  auto store = store::open_store(o.db, store::Access::ReadWrite);
  int made = 0, reused = 0;
  preview::run_previews(*store, o.request, [&](const preview::PreviewOutcome& p) {
    std::vector<std::string> metrics;
    for (const auto& [k, v] : p.final_metrics)
      if (!text::starts_with(k, "routing/")) metrics.push_back(fmt::format("{} {:.3f}", k, v));
    (p.reused ? reused : made)++;
    fmt::print("preview {:>4}  {:<14} {:<40} {}{}\n", p.run_id, p.rule, p.weighting, text::join(metrics, ", "),
               p.reused ? "  (recorded before)" : fmt::format("  ({:.1f} s)", p.seconds));
    std::fflush(stdout);
  });
  fmt::print("{} previews made, {} recorded before; compare them with the real trials: remix results {} --previews "
             "--sweep {}\n",
             made, reused, store::redact_location(o.db), o.request.sweep);
  return 0;
}

}  // namespace

void add_preview_command(CLI::App& app, const GlobalOptions& global, Action& action) {
  auto o = std::make_shared<PreviewOptions>();
  auto* cmd = app.add_subcommand("preview", "preview task weightings by merging a sweep's per-task runs");
  cmd->add_option("db", o->db, "results database (a file or postgresql:// URI)")->required();
  cmd->add_option("--tasks-from", o->request.sweep,
                  "the sweep whose runs trained on one task alone (every other task's weight 0)")
      ->required();
  cmd->add_option("--weights", o->request.weights,
                  "N: every weighting in multiples of 1/N; or weightings \"math=0.5,code=0.5;math=1\"")
      ->capture_default_str();
  cmd->add_option("--rules", o->request.rules,
                  "merging rules: arithmetic, precision-sg, precision-ivon, delta-w (default: all the runs allow)")
      ->delimiter(',');
  cmd->add_option("--prior-precision", o->request.prior_precision,
                  "H0 of precision merging, relative to the task runs' mean precision")
      ->capture_default_str();
  cmd->callback([o, &global, &action] { action = [o, &global] { return run_preview(*o, global); }; });
}

}  // namespace remix::cli
