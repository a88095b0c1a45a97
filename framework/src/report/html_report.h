// The HTML report of a sweep (`remix report`): one self-contained file (inline CSS and SVG, no scripts, no network)
// with the training loss per run group, routing ESS (mean and worst) over steps, expert load per routing site (share of
// the applied weight) as heat maps, eval metrics as bars with error bars over seeds, the results table (with a
// selection on the validation split, only each group's chosen value), where the sweep's task weightings were previewed
// (remix preview), previews and real trials per pair of tasks, and with `against`, each group's paired differences from
// the baseline (paired_comparison.h) as a table and one interval chart per metric.
#pragma once

#include <string>

#include <optional>

#include "report/paired_comparison.h"
#include "report/results.h"
#include "report/selection.h"
#include "store/results_store.h"

namespace remix::report {

// The trials of `sweep` (all when empty) that pass `where`, with `select` only each group's chosen value (and a
// table of the choice). Throws UserError when the sweep does not exist or no trial is left.
std::string render_report(store::ResultsStore& store, const std::string& sweep, const WhereFilter& where = {},
                          const std::optional<PairedQuery>& against = std::nullopt,
                          const std::optional<SelectionQuery>& select = std::nullopt);

}  // namespace remix::report
