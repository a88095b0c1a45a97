// Finding and checking the per-task runs of a sweep (see source_runs.h).
#include "preview/source_runs.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <set>

#include "common/text.h"
#include "config/task_weights.h"
#include "remix/errors.h"
#include "store/sql_value.h"

namespace remix::preview {

namespace {

// "a.b.c" -> JSON text of the value, for every leaf.
std::map<std::string, std::string> leaves(const nlohmann::json& tree) {
  std::map<std::string, std::string> out;
  auto flat = tree.flatten();  // kept alive: items() of a temporary would dangle in the loop
  for (const auto& [pointer, value] : flat.items()) {
    std::string key = pointer.substr(1);
    std::replace(key.begin(), key.end(), '/', '.');
    out[key] = value.dump();
  }
  return out;
}

// The keys whose values differ between two configs, "key (a vs b)".
std::vector<std::string> differences(const nlohmann::json& a, const nlohmann::json& b) {
  auto la = leaves(a), lb = leaves(b);
  std::vector<std::string> out;
  for (const auto& [k, v] : la) {
    auto it = lb.find(k);
    if (it == lb.end() || it->second != v)
      out.push_back(fmt::format("{} ({} vs {})", k, v, it == lb.end() ? "unset" : it->second));
  }
  for (const auto& [k, v] : lb)
    if (!la.count(k)) out.push_back(fmt::format("{} (unset vs {})", k, v));
  return out;
}

struct Candidate {
  TaskRun run;
  nlohmann::json shared;
};

void read_artifacts(store::ResultsStore& store, TaskRun& r) {
  auto rows = store.read("SELECT kind, path FROM artifacts WHERE run_id = ? ORDER BY id", {r.run_id}).rows;
  for (const auto& row : rows) {
    auto kind = store::to_text(row[0]), path = store::to_text(row[1]);
    if (kind == "checkpoint") r.checkpoint = path;  // the newest (the final one) last
    if (text::starts_with(kind, "precision/")) r.precisions[kind.substr(10)] = path;
  }
  if (r.checkpoint.empty())
    throw UserError(fmt::format("{}: has no checkpoint recorded; previews merge the final checkpoints", describe(r)));
  auto tags = store.tags(r.run_id);
  auto sha = tags.find("base.sha256");
  r.base_sha256 = sha == tags.end() ? "" : sha->second;
}

// A group's label: its runs' names without the weighting ("variant=lora" of "variant=lora weights=code=0,math=1"),
// when that tells the groups apart; else the keys whose values set the group apart from the others.
void label_groups(std::vector<SourceGroup>& groups) {
  std::set<std::string> seen;
  bool distinct = true;
  for (auto& g : groups) {
    std::vector<std::string> kept;
    for (const auto& token : text::split(g.runs[0].name, ' ')) {
      auto eq = token.find('=');
      bool weighting = eq != std::string::npos && (token.find('=', eq + 1) != std::string::npos ||
                                                   (text::starts_with(token, "tasks.") && text::ends_with(token.substr(0, eq), ".weight")));
      if (!token.empty() && !weighting) kept.push_back(token);
    }
    g.label = kept.empty() ? "all" : text::join(kept, " ");
    distinct = distinct && seen.insert(g.label).second;
  }
  if (distinct) return;
  for (auto& g : groups) {
    std::map<std::string, std::string> own = leaves(g.shared), varies;
    for (const auto& other : groups)
      for (const auto& [k, v] : leaves(other.shared))
        if (!own.count(k) || own[k] != v) varies[k] = own.count(k) ? own[k] : "unset";
    std::vector<std::string> parts;
    for (const auto& [k, v] : varies) parts.push_back(k + "=" + v);
    g.label = parts.empty() ? "all" : text::join(parts, " ");
  }
}

}  // namespace

std::string describe(const TaskRun& r) {
  return fmt::format("run {} '{}' (trained on {} alone)", r.run_id, r.name, r.task);
}

std::vector<SourceGroup> find_source_groups(store::ResultsStore& store, const std::string& sweep,
                                            const config::PluginSchemaLookup& lookup) {
  auto sweep_id = store.find_sweep(sweep);
  std::vector<Candidate> candidates;
  for (const auto& trial : store.sweep_trials(sweep_id)) {
    auto record = store.run(trial.run_id);
    auto tree = nlohmann::json::parse(record->config);
    auto where = fmt::format("sweep '{}' run {} '{}'", sweep, trial.run_id, trial.name);
    auto task = config::task_alone(config::weighting_of(tree, where));
    if (task.empty()) continue;  // a real multitask trial
    TaskRun r;
    r.run_id = trial.run_id;
    r.run_key = trial.run_key;
    r.name = trial.name;
    r.task = task;
    if (trial.status != "completed")
      throw UserError(fmt::format("{}: is {}{}; previews merge completed per-task runs (finish the sweep first)",
                                  describe(r), trial.status, trial.error.empty() ? "" : " (" + trial.error + ")"));
    r.config = config::resolve_json(tree, fmt::format("{} run {}", store.location(), trial.run_id), lookup);
    auto shared = config::without_task_weights(tree);
    shared.erase("sweep");  // recorded by databases of before 2026-12: the first sweep's, not the trial's
    candidates.push_back({std::move(r), std::move(shared)});
  }
  if (candidates.empty())
    throw UserError(fmt::format("sweep '{}' has no run that trains on one task alone (every other task's weight 0); "
                                "previews merge such per-task runs: add the simplex's vertices to the sweep",
                                sweep));

  std::vector<SourceGroup> groups;
  for (auto& c : candidates) {
    auto g = std::find_if(groups.begin(), groups.end(), [&](const SourceGroup& s) { return s.shared == c.shared; });
    if (g == groups.end()) {
      groups.push_back({"", c.shared, c.run.config.task_names(), {}});
      g = std::prev(groups.end());
    }
    for (const auto& other : g->runs)
      if (other.task == c.run.task)
        throw UserError(fmt::format("{} and {}: two runs of the same config train on {} alone; a preview merges one "
                                    "run per task (give them different seeds, or drop one)",
                                    describe(other), describe(c.run), c.run.task));
    g->runs.push_back(std::move(c.run));
  }

  // A group without a run for some task: the runs that should merge differ in something besides the weights.
  for (const auto& g : groups) {
    if (g.runs.size() == g.tasks.size()) continue;
    std::vector<std::string> missing;
    for (const auto& t : g.tasks)
      if (std::none_of(g.runs.begin(), g.runs.end(), [&](const TaskRun& r) { return r.task == t; })) missing.push_back(t);
    std::string nearest;
    std::size_t fewest = std::numeric_limits<std::size_t>::max();
    for (const auto& other : groups) {
      if (&other == &g) continue;
      for (const auto& r : other.runs)
        if (std::find(missing.begin(), missing.end(), r.task) != missing.end()) {
          auto diff = differences(g.shared, other.shared);
          if (diff.size() < fewest) {
            fewest = diff.size();
            nearest = fmt::format("; {} differs from it in {}: a merge needs the same base, initialisation (seed), "
                                  "adapter shape and router",
                                  describe(r), text::join(diff, ", "));
          }
        }
    }
    throw UserError(fmt::format("{}: no run of the same config trains on {} alone{}", describe(g.runs[0]),
                                text::join(missing, " or "), nearest));
  }

  for (auto& g : groups) {
    std::sort(g.runs.begin(), g.runs.end(), [](const TaskRun& a, const TaskRun& b) { return a.task < b.task; });
    for (auto& r : g.runs) read_artifacts(store, r);
    for (const auto& r : g.runs)
      if (r.base_sha256 != g.runs[0].base_sha256)
        throw UserError(fmt::format("{} adapted base model {} and {} base model {}: merged adapters must share their "
                                    "base (was the base cache rebuilt between them?)",
                                    describe(g.runs[0]), g.runs[0].base_sha256.substr(0, 12), describe(r),
                                    r.base_sha256.substr(0, 12)));
  }
  label_groups(groups);
  return groups;
}

}  // namespace remix::preview
