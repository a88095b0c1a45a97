// Comparison tables from the results database (`remix results`): the trials of a sweep grouped by the
// values of some config keys (rows) and by metric or by another key (columns), each cell the mean ± std over
// seeds with its count. Failed, pending or missing trials are counted in their cell, never hidden; the best
// mean of each column is marked.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "report/table.h"
#include "store/results_store.h"

namespace remix::report {

// One trial as the tables see it.
struct TrialRecord {
  std::int64_t run_id = 0;
  std::string name, status;
  std::map<std::string, std::string> params;   // dotted key -> value (JSON strings unquoted)
  std::map<std::string, double> metrics;       // latest value of each metric
};

// The trials of `sweep` (all trials of the database when empty). Throws UserError naming the known sweeps
// when there is no such sweep.
std::vector<TrialRecord> load_trials(store::ResultsStore& store, const std::string& sweep);
// Provenance as keys: each `tag:NAME` among `keys` (from --where, --rows, --cols, --against) becomes a parameter of
// every trial that recorded tag NAME (tag:cpu.model, tag:blas.core), so runs of two machines can be told apart and
// compared. UserError naming the tags there are when no trial recorded it.
void add_tag_keys(store::ResultsStore& store, std::vector<TrialRecord>& trials, const std::vector<std::string>& keys);
// A bundle axis (sweep.parameters.variant: [{name: remix, ...}, ...]) as a key: it is not a parameter, only a part
// of each trial's name ("variant=remix seed=0"), so each of `keys` that no trial has as a parameter is read from
// there. A trial first registered by another sweep keeps that sweep's name and so has no value for it.
void add_axis_keys(std::vector<TrialRecord>& trials, const std::vector<std::string>& keys);
// Every key some trial has, as a parameter or as an axis of its name: what a misspelt key is suggested from.
std::vector<std::string> known_keys(const std::vector<TrialRecord>& trials);

struct Aggregate {
  double mean = 0, std = 0;  // std is the sample standard deviation (n - 1); 0 when n < 2
  int n = 0;                 // completed trials with the metric
  int failed = 0, unfinished = 0;  // failed; pending / running / interrupted / completed without the metric
};
Aggregate aggregate(const std::vector<const TrialRecord*>& trials, const std::string& metric);

// Lower is better for losses and perplexities; higher for everything else (accuracy, pass@1, ESS).
bool lower_is_better(const std::string& metric);
// Counts such as final/params/lora_active_per_token or compute/flops describe a trial; they are not better or worse.
bool is_score(const std::string& metric);
// A score with a better direction, so a table marks its best mean: not the routing diagnostics.
bool has_better_direction(const std::string& metric);

// A metric as a table's column names it: without its stage ("final/", "eval/"): "final/math/exact_match" ->
// "math/exact_match", "eval/code/loss" -> "code/loss".
std::string metric_column(const std::string& metric);
// "v" for one key, "k1=v1 k2=v2" for several, "all" for none: how tables name a group of trials.
std::string label_of(const TrialRecord& t, const std::vector<std::string>& keys);
// A --where value matches the stored one as text, or as the same number however it is written.
bool same_value(const std::string& stored, const std::string& wanted);

// `--where KEY=VALUE` filters: a trial is kept when every key has the value (as the tables print it, or the same
// number written another way: train.lr=1e-2 matches 0.01).
using WhereFilter = std::vector<std::pair<std::string, std::string>>;
// Parses "KEY=VALUE" strings; UserError naming the bad one.
WhereFilter parse_where(const std::vector<std::string>& items);
// UserError when a key is on no trial (naming the likely one) or a value on none (listing the values there are).
std::vector<TrialRecord> filter_trials(const std::vector<TrialRecord>& trials, const WhereFilter& where);

struct ResultsQuery {
  std::vector<std::string> rows;     // config keys whose values make the rows (default: what varies, but seed)
  std::string cols;                  // a config key whose values make the columns; empty: one column per metric
  std::vector<std::string> metrics;  // default: every `final/...` metric
  WhereFilter where;                 // keep trials whose key has this value
};

struct ResultsTable {
  Table wide;   // for text / markdown: "mean ± std (n)" cells, best marked with *
  Table long_;  // for csv / json: one line per cell with numbers
};
ResultsTable results_table(const std::vector<TrialRecord>& trials, const ResultsQuery& query);

// Orders trials by `keys`, the first key first: numbers ascending (lr 1e-3 before 1e-2 whichever ran first),
// other values in order of first appearance (a sweep's own order). Stable, so seeds keep their order. Tables
// and report charts list their rows and groups in this order.
void order_by_keys(std::vector<const TrialRecord*>& trials, const std::vector<std::string>& keys);

// The config keys whose values differ between trials (seed and keys outside the trial key excluded).
std::vector<std::string> varying_keys(const std::vector<TrialRecord>& trials);

}  // namespace remix::report
