// The preview loop (see preview_runner.h): per group, build the model once, read the task adapters once, then
// merge, load, evaluate and record each (weighting, rule).
#include "preview/preview_runner.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <memory>
#include <optional>

#include "common/compute_threads.h"
#include "common/log.h"
#include "common/sha256.h"
#include "common/text.h"
#include "config/task_weights.h"
#include "plugin/registry.h"
#include "preview/task_adapters.h"
#include "remix/errors.h"
#include "store/recorder.h"
#include "train/evaluator.h"
#include "train/trainer.h"
#include "trial/runtime.h"

namespace remix::preview {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// The rules to run for a group: those asked for (each refused, naming the run, when the group cannot take it),
// or every rule it can take.
std::vector<Rule> rules_for(const SourceGroup& g, const std::vector<Rule>& asked) {
  std::vector<Rule> out;
  for (auto rule : asked.empty() ? kRules : asked) {
    std::string problem;
    if (auto kind = precision_kind(rule); !kind.empty()) {
      for (const auto& r : g.runs)
        if (!r.precisions.count(kind) && problem.empty())
          problem = fmt::format("run {} '{}' (trained on {} alone) has no precision/{} artifact; {} merges by it (train "
                                "the per-task runs with {})",
                                r.run_id, r.name, r.task, kind, rule_name(rule),
                                kind == "sg" ? "train.precision: sg" : "train.optimizer: ivon");
    } else if (rule == Rule::DeltaW) {
      problem = single_lora_refusal(g);
    }
    if (problem.empty()) {
      out.push_back(rule);
    } else if (!asked.empty()) {
      throw UserError("--rules " + rule_name(rule) + ": " + problem);
    }
  }
  return out;
}

struct GroupContext {
  const SourceGroup& group;
  const PreviewRequest& request;
  std::vector<config::Weighting> weightings;
  std::vector<Rule> rules;
};

// What a preview is, recorded as its run's config; its hash is the run key.
nlohmann::json preview_spec(const GroupContext& c, Rule rule, const config::Weighting& w) {
  nlohmann::json sources = nlohmann::json::array();
  for (const auto& r : c.group.runs) sources.push_back({{"task", r.task}, {"run_key", r.run_key}, {"run_id", r.run_id}});
  nlohmann::json spec = {{"rule", rule_name(rule)}, {"weights", w.weights}, {"sweep", c.request.sweep},
                         {"sources", sources}};
  if (!precision_kind(rule).empty()) spec["prior_precision"] = c.request.prior_precision;
  return {{"preview", spec}, {"group", c.group.shared}, {"label", c.group.label}};
}

std::string preview_key(const nlohmann::json& config) {
  auto keyed = config["preview"];
  keyed.erase("sweep");
  for (auto& s : keyed["sources"]) s.erase("run_id");  // the same preview in a copied database keeps its key
  return sha256_hex(nlohmann::json{{"kind", "preview"}, {"preview", keyed}}.dump());
}

std::vector<std::pair<std::string, std::string>> preview_params(const GroupContext& c, Rule rule,
                                                                 const config::Weighting& w) {
  std::vector<std::pair<std::string, std::string>> params;
  for (auto [key, value] : c.group.runs[0].config.flatten()) {
    for (const auto& [task, weight] : w.weights)
      if (key == "tasks." + task + ".weight") value = nlohmann::json(weight).dump();
    params.emplace_back(key, value);
  }
  params.emplace_back("preview.rule", nlohmann::json(rule_name(rule)).dump());
  if (!precision_kind(rule).empty())
    params.emplace_back("preview.prior_precision", nlohmann::json(c.request.prior_precision).dump());
  return params;
}

std::vector<std::pair<std::string, double>> recorded_finals(store::ResultsStore& store, std::int64_t run_id) {
  std::vector<std::pair<std::string, double>> out;
  for (const auto& row : store.read("SELECT key, value FROM latest_metrics WHERE run_id = ? AND substr(key, 1, 6) = "
                                    "'final/' AND value IS NOT NULL ORDER BY key",
                                    {run_id})
                             .rows)
    out.emplace_back(store::to_text(row[0]).substr(6), store::as_double(row[1]));
  return out;
}

// The models of a group, built when a rule first needs them: the trials' own, and delta-w's rank-T·r one.
class GroupModels {
 public:
  GroupModels(store::ResultsStore& store, const SourceGroup& g, const config::PluginSchemaLookup& lookup)
      : store_(store), group_(g), lookup_(lookup), tasks_(g.runs[0].config) {}
  const train::TaskSet& tasks() const { return tasks_; }
  PreviewModel& trial_model() {
    if (!trial_) trial_ = build_preview_model(group_.runs[0].config, tasks_, store_, group_.runs[0].base_sha256);
    return *trial_;
  }
  PreviewModel& delta_w_model() {
    if (!delta_w_)
      delta_w_ = build_preview_model(delta_w_config(group_, lookup_), tasks_, store_, group_.runs[0].base_sha256);
    return *delta_w_;
  }

 private:
  store::ResultsStore& store_;
  const SourceGroup& group_;
  const config::PluginSchemaLookup& lookup_;
  train::TaskSet tasks_;
  std::optional<PreviewModel> trial_, delta_w_;
};

// Merges for one (rule, weighting) into the model that evaluates it; tags say what the merge did.
train::AdaptedModel& merge_into(GroupModels& models, const TaskAdapters& adapters, Rule rule, double prior_relative,
                                const std::vector<double>& alpha, std::map<std::string, std::string>& tags) {
  if (rule == Rule::DeltaW) {
    auto& m = models.delta_w_model();
    load_into(m.adapted, merge_delta_w(adapters.params, alpha));
    return m.adapted;
  }
  auto& m = models.trial_model();
  if (rule == Rule::Arithmetic) {
    load_into(m.adapted, merge_arithmetic(adapters.params, alpha));
    return m.adapted;
  }
  const auto& precisions = adapters.precisions.at(precision_kind(rule));
  double scale = mean_precision(precisions);
  if (!(scale > 0)) throw UserError(fmt::format("{}: every precision of the per-task runs is zero", rule_name(rule)));
  auto merged = merge_precision(m.start, prior_relative * scale, adapters.params, precisions, alpha);
  tags["preview.prior_precision_absolute"] = fmt::format("{:.6g}", prior_relative * scale);
  tags["preview.arithmetic_tensors"] = merged.arithmetic.empty() ? "none" : text::join(merged.arithmetic, " ");
  load_into(m.adapted, merged.tensors);
  return m.adapted;
}

PreviewOutcome run_one(store::ResultsStore& store, GroupModels& models, const TaskAdapters& adapters,
                       const GroupContext& c, Rule rule, const config::Weighting& w) {
  const auto& g = c.group;
  auto spec = preview_spec(c, rule, w);
  PreviewOutcome out{g.label, rule_name(rule), w.name(), 0, false, 0, {}};
  store::PendingRun pending{preview_key(spec),
                            fmt::format("{}rule={} weights={}", g.label == "all" ? "" : g.label + " ", rule_name(rule),
                                        w.name()),
                            "preview", spec.dump(), preview_params(c, rule, w)};
  auto experiment = store.run(g.runs[0].run_id)->experiment_id;
  auto [run_id, fresh] = store.register_run(experiment, pending);
  out.run_id = run_id;
  if (!fresh && store.run(run_id)->status == "completed") {
    out.reused = true;
    out.final_metrics = recorded_finals(store, run_id);
    return out;
  }
  std::vector<store::PreviewSource> sources;
  std::vector<double> alpha;
  for (const auto& r : g.runs) {
    alpha.push_back(w.weights.at(r.task));
    sources.push_back({r.run_id, r.task, alpha.back()});
  }
  store.record_preview_sources(run_id, sources);
  store.begin_attempt(run_id);
  try {
    auto start = Clock::now();
    std::map<std::string, std::string> tags = {{"preview.rule", rule_name(rule)},
                                               {"runtime.threads", std::to_string(compute_threads())}};
    auto& model = merge_into(models, adapters, rule, c.request.prior_precision, alpha, tags);
    double merge_seconds = seconds_since(start);
    train::EvalOutcomes outcomes;
    auto metrics = train::evaluate(model.model, *model.tokenizer, models.tasks(),
                                   train::TrainerOptions::from(g.runs[0].config).eval, nullptr, &outcomes);
    out.seconds = seconds_since(start);
    for (const auto& [k, v] : model.tags) tags.emplace(k, v);
    store.record_tags(run_id, tags);
    store::MetricsRecorder recorder(store, run_id);
    for (const auto& [metric, scores] : outcomes) recorder.outcomes("eval/" + metric, 0, scores);
    for (const auto& [key, value] : metrics) {
      recorder.log("eval/" + key, 0, value);
      if (train::is_headline_metric(key)) {
        recorder.log("final/" + key, 0, value);
        out.final_metrics.emplace_back(key, value);
      }
    }
    recorder.log("preview/merge_seconds", 0, merge_seconds);
    recorder.log("preview/seconds", 0, out.seconds);
    recorder.flush();
    store.complete(run_id);
  } catch (const std::exception& e) {
    store.fail(run_id, e.what());
    throw;
  }
  return out;
}

}  // namespace

std::vector<PreviewOutcome> run_previews(store::ResultsStore& store, const PreviewRequest& request,
                                         const std::function<void(const PreviewOutcome&)>& done) {
  std::vector<Rule> asked;
  for (const auto& name : request.rules) asked.push_back(parse_rule(name, "--rules"));
  if (!(request.prior_precision > 0) || !std::isfinite(request.prior_precision))
    throw ConfigError(fmt::format("--prior-precision: must be a positive number, got {}", request.prior_precision));
  auto lookup = plugin::schema_lookup(request.plugin_paths);
  auto groups = find_source_groups(store, request.sweep, lookup);
  // Everything the database tells is checked for every group before the first preview is recorded.
  std::vector<GroupContext> contexts;
  for (const auto& g : groups)
    contexts.push_back({g, request, config::parse_weightings(request.weights, g.tasks, "--weights"), rules_for(g, asked)});

  std::vector<PreviewOutcome> outcomes;
  for (const auto& c : contexts) {
    trial::set_runtime(c.group.runs[0].config);
    GroupModels models(store, c.group, lookup);
    auto adapters = load_task_adapters(c.group, models.trial_model().start);
    auto rules = c.rules;
    if (auto delta_w = std::find(rules.begin(), rules.end(), Rule::DeltaW); delta_w != rules.end())
      if (auto problem = delta_w_refusal(c.group, adapters); !problem.empty()) {
        if (!asked.empty()) throw UserError("--rules delta-w: " + problem);
        rules.erase(delta_w);
      }
    log::info("previews of group '{}': {} weightings x {} rules", c.group.label, c.weightings.size(), rules.size());
    for (const auto& w : c.weightings)
      for (auto rule : rules) {
        outcomes.push_back(run_one(store, models, adapters, c, rule, w));
        if (done) done(outcomes.back());
      }
  }
  return outcomes;
}

}  // namespace remix::preview
