// Choosing a hyperparameter on the validation split (`remix results --select-by val/...`): in each group of trials
// that differ only in the searched key (train.lr by default) and the seed, the value whose completed trials have the
// best mean validation metric is kept and the others dropped. The tables and paired comparisons then report eval
// metrics at a value chosen without looking at them: selecting on the eval examples themselves would report the
// maximum of several noisy estimates, which is biased upwards.
#pragma once

#include <string>
#include <vector>

#include "report/results.h"
#include "report/table.h"

namespace remix::report {

struct SelectionQuery {
  // A recorded metric ("val/math/loss"), or a stage and name without the task ("val/loss"): the mean of that metric
  // over the tasks that record it ("val/math/loss", "val/code/loss", ...).
  std::string metric;
  std::string over = "train.lr";  // the key searched over
  WhereFilter where;              // applied before choosing
};

struct Selection {
  std::vector<TrialRecord> kept;  // every trial (any status) at each group's chosen value
  Table choices;                  // per group: the chosen value and each candidate's mean metric (n)
};

// UserError when `over` does not vary, or no trial records the metric (naming the val/ metrics there are).
Selection select_by(const std::vector<TrialRecord>& trials, const SelectionQuery& query);

// `metric` of one trial as select_by reads it (the mean over tasks for "stage/name"); NaN when it has none.
double selection_value(const TrialRecord& trial, const std::string& metric);

}  // namespace remix::report
