// The HTML report of a sweep (`remix report`): one self-contained file (inline CSS and SVG, no scripts, no
// network) with the training loss per run group, routing ESS (mean and worst) over steps, expert load per
// routing site as heat maps, eval metrics as bars with error bars over seeds, and the results table.
#pragma once

#include <string>

#include "store/sqlite.h"

namespace remix::report {

// Throws UserError when the sweep does not exist or holds no trials.
std::string render_report(const store::Database& db, const std::string& sweep);

}  // namespace remix::report
