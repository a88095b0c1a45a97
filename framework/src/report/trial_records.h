// Which trials a table or report is about: the trials of a sweep read from the results store as records of their
// parameters and latest metrics, provenance tags and bundle axes made into keys, and the `--where` filter that
// narrows them. One owner for "which trials, known by which keys": the tables (results.h), the rate selection,
// the paired comparison and the report build on it.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

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

// A parameter value as a number ("0.01", "1e-2"), or nothing for text values.
std::optional<double> as_number(const std::string& value);
// A --where value matches the stored one as text, or as the same number however it is written.
bool same_value(const std::string& stored, const std::string& wanted);

// `--where KEY=VALUE[,VALUE...]` filters: a trial is kept when every key has one of the values (as the tables print
// it, or the same number written another way: train.lr=1e-2 matches 0.01). A comma inside [...], {...} or quotes
// belongs to one value, so a list-valued key is matched whole; a value some trial has verbatim is one value too.
using WhereFilter = std::vector<std::pair<std::string, std::string>>;
// Parses "KEY=VALUE[,VALUE...]" strings; UserError naming the bad one, or a key given twice (which no trial passes).
WhereFilter parse_where(const std::vector<std::string>& items);
// UserError when a key is on no trial (naming the likely one), one of its values on none (listing those there are)
// or a value is empty ("0.01,,0.02").
std::vector<TrialRecord> filter_trials(const std::vector<TrialRecord>& trials, const WhereFilter& where);

}  // namespace remix::report
