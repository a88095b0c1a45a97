// Which trials (see trial_records.h).
#include "report/trial_records.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <set>

#include "common/text.h"
#include "remix/errors.h"

namespace remix::report {

namespace {

std::string unquote(const std::string& json_text) {
  try {
    auto j = nlohmann::json::parse(json_text);
    if (j.is_string()) return j.get<std::string>();
    return j.dump();
  } catch (const std::exception&) {
    return json_text;
  }
}

}  // namespace

std::optional<double> as_number(const std::string& v) {
  try {
    std::size_t used = 0;
    double d = std::stod(v, &used);
    if (used == v.size()) return d;
  } catch (const std::exception&) {
  }
  return std::nullopt;
}

bool same_value(const std::string& stored, const std::string& wanted) {
  if (stored == wanted) return true;
  auto a = as_number(stored), b = as_number(wanted);
  return a && b && *a == *b;
}

std::vector<TrialRecord> load_trials(store::ResultsStore& store, const std::string& sweep) {
  std::string filter = "r.kind = 'trial'";
  std::string names = "SELECT r.id, r.name, r.status FROM runs r WHERE r.kind = 'trial' ORDER BY r.id";
  std::vector<store::SqlValue> params;
  if (!sweep.empty()) {
    store.find_sweep(sweep);  // a UserError naming the sweeps there are
    const std::string sweep_id = "(SELECT max(id) FROM sweeps WHERE name = ?)";
    filter = "r.id IN (SELECT run_id FROM sweep_runs WHERE sweep_id = " + sweep_id + ")";
    // A trial shared with another sweep goes by this sweep's name for it (its variant's name here).
    names = "SELECT r.id, coalesce(s.name, r.name), r.status FROM runs r JOIN sweep_runs s ON s.run_id = r.id "
            "WHERE s.sweep_id = " + sweep_id + " ORDER BY r.id";
    params.push_back(sweep);
  }
  auto as_int = [](const store::SqlValue& v) { return std::get<std::int64_t>(v); };
  std::vector<TrialRecord> trials;
  std::map<std::int64_t, std::size_t> index;
  for (const auto& r : store.read(names, params).rows) {
    index[as_int(r[0])] = trials.size();
    trials.push_back({as_int(r[0]), store::to_text(r[1]), store::to_text(r[2]), {}, {}});
  }
  for (const auto& r :
       store.read("SELECT p.run_id, p.key, p.value FROM params p JOIN runs r ON r.id = p.run_id WHERE " + filter,
                  params)
           .rows) {
    auto it = index.find(as_int(r[0]));
    if (it != index.end()) trials[it->second].params[store::to_text(r[1])] = unquote(store::to_text(r[2]));
  }
  for (const auto& r : store.read("SELECT m.run_id, m.key, m.value FROM latest_metrics m JOIN runs r ON r.id = "
                                  "m.run_id WHERE m.value IS NOT NULL AND " + filter,
                                  params)
                           .rows) {
    auto it = index.find(as_int(r[0]));
    if (it != index.end())
      trials[it->second].metrics[store::to_text(r[1])] =
          std::holds_alternative<double>(r[2]) ? std::get<double>(r[2]) : static_cast<double>(as_int(r[2]));
  }
  return trials;
}

void add_tag_keys(store::ResultsStore& store, std::vector<TrialRecord>& trials, const std::vector<std::string>& keys) {
  std::map<std::int64_t, TrialRecord*> by_run;
  for (auto& t : trials) by_run[t.run_id] = &t;
  for (const auto& key : std::set<std::string>(keys.begin(), keys.end())) {
    if (!text::starts_with(key, "tag:")) continue;
    const std::string tag = key.substr(4);
    bool found = false;
    for (const auto& r : store.read("SELECT run_id, value FROM tags WHERE key = ?", {tag}).rows)
      if (auto it = by_run.find(std::get<std::int64_t>(r[0])); it != by_run.end()) {
        it->second->params[key] = store::to_text(r[1]);
        found = true;
      }
    if (found) continue;
    std::vector<std::string> known;
    for (const auto& r : store.read("SELECT DISTINCT key FROM tags ORDER BY key").rows)
      known.push_back(store::to_text(r[0]));
    throw UserError(fmt::format("{}: no trial recorded the tag '{}'{}", key, tag, text::did_you_mean(tag, known)));
  }
}

void add_axis_keys(std::vector<TrialRecord>& trials, const std::vector<std::string>& keys) {
  for (const auto& key : std::set<std::string>(keys.begin(), keys.end())) {
    if (key.empty() || text::starts_with(key, "tag:")) continue;
    if (std::any_of(trials.begin(), trials.end(), [&](const TrialRecord& t) { return t.params.count(key) > 0; }))
      continue;
    for (auto& t : trials)
      for (const auto& token : text::split(t.name, ' '))
        if (text::starts_with(token, key + "=")) t.params[key] = token.substr(key.size() + 1);
  }
}

std::vector<std::string> known_keys(const std::vector<TrialRecord>& trials) {
  std::set<std::string> keys;
  for (const auto& t : trials) {
    for (const auto& [key, value] : t.params) keys.insert(key);
    for (const auto& token : text::split(t.name, ' '))
      if (auto eq = token.find('='); eq != std::string::npos && eq > 0) keys.insert(token.substr(0, eq));
  }
  return {keys.begin(), keys.end()};
}

namespace {

// The values a --where value stands for: itself when some trial has it verbatim (a path or text with a comma in it);
// otherwise its comma-separated alternatives ("0.01,0.02"), where a comma inside [...], {...} or quotes belongs to one
// value, so a list value is still matched whole. UserError for an empty alternative ("0.01,,0.02").
std::vector<std::string> where_values(const std::string& key, const std::string& value,
                                      const std::set<std::string>& stored) {
  if (std::any_of(stored.begin(), stored.end(), [&](const std::string& s) { return same_value(s, value); }))
    return {value};
  std::vector<std::string> out(1);
  int depth = 0;
  bool quoted = false;
  for (char c : value) {
    if (c == '"') quoted = !quoted;
    if (!quoted && (c == '[' || c == '{')) ++depth;
    if (!quoted && (c == ']' || c == '}')) --depth;
    if (c == ',' && depth == 0 && !quoted) {
      out.emplace_back();
      continue;
    }
    out.back() += c;
  }
  if (std::any_of(out.begin(), out.end(), [](const std::string& a) { return a.empty(); }))
    throw UserError(fmt::format("--where {}={}: an empty value between commas", key, value));
  return out;
}

}  // namespace

WhereFilter parse_where(const std::vector<std::string>& items) {
  WhereFilter where;
  for (const auto& w : items) {
    auto eq = w.find('=');
    if (eq == std::string::npos || eq == 0) throw UserError("--where '" + w + "': expected KEY=VALUE[,VALUE...]");
    std::string key = w.substr(0, eq);
    // Every --where must hold, so one key twice keeps nobody; "any of" is written with commas.
    for (const auto& [k, v] : where)
      if (k == key)
        throw UserError(fmt::format("--where {0} given twice ({0}={1}, {2}): every --where must hold, so no trial "
                                    "could; for any of the values write --where {0}={1},{3}",
                                    key, v, w, w.substr(eq + 1)));
    where.emplace_back(key, w.substr(eq + 1));
  }
  return where;
}

std::vector<TrialRecord> filter_trials(const std::vector<TrialRecord>& trials, const WhereFilter& where) {
  // A filter no trial can pass is a typo, not an empty table: name the keys or values there are. Each of a
  // key's values must be somewhere, or a typo in one of several would pass silently.
  std::vector<std::vector<std::string>> wanted;  // per condition, the values it accepts
  for (const auto& [k, v] : where) {
    std::set<std::string> stored;
    for (const auto& t : trials)
      if (auto it = t.params.find(k); it != t.params.end()) stored.insert(it->second);
    if (stored.empty())
      throw UserError(fmt::format("--where {}={}: no trial has the key '{}'{}", k, v, k,
                                  text::did_you_mean(k, known_keys(trials))));
    wanted.push_back(where_values(k, v, stored));
    for (const auto& a : wanted.back())
      if (std::none_of(stored.begin(), stored.end(), [&](const std::string& s) { return same_value(s, a); }))
        throw UserError(fmt::format("--where {}={}: no trial has the value {}; {} is one of: {}", k, v, a, k,
                                    text::join({stored.begin(), stored.end()}, ", ")));
  }
  std::vector<TrialRecord> kept;
  for (const auto& t : trials) {
    bool keep = true;
    for (std::size_t i = 0; i < where.size() && keep; ++i) {
      auto it = t.params.find(where[i].first);
      keep = it != t.params.end() && std::any_of(wanted[i].begin(), wanted[i].end(), [&](const std::string& a) {
               return same_value(it->second, a);
             });
    }
    if (keep) kept.push_back(t);
  }
  return kept;
}

}  // namespace remix::report
