// The table a worker prints when it is done: every trial of the sweep in order, with its status, attempt,
// final metrics (the "final/" keys the trainer logs) and the first line of its error.
#pragma once

#include <cstdint>

#include "report/table.h"
#include "store/results_store.h"

namespace remix::report {

Table sweep_table(store::ResultsStore& store, std::int64_t sweep_id);

}  // namespace remix::report
