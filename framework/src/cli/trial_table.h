// What `remix run` and `remix worker` print when they finish: the sweep's trials with their status and final
// metrics; and the arguments a worker passes on to each `remix trial` process.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "report/table.h"
#include "store/results_db.h"

namespace remix::cli {

report::Table trial_table(store::ResultsDb& db, std::int64_t sweep_id);
std::vector<std::string> trial_arguments(const GlobalOptions& g);

}  // namespace remix::cli
