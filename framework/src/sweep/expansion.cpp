// Sweep expansion (see expansion.h).
#include "sweep/expansion.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <set>

#include "common/text.h"
#include "config/core_schema.h"
#include "config/limits.h"
#include "config/task_weights.h"
#include "config/typed_value.h"
#include "remix/errors.h"

namespace remix::sweep {

namespace {

using config::ConfigNode;
using config::Override;

// One value of an axis: the overrides it applies and how it is named in the trial name.
struct AxisValue {
  std::vector<Override> overrides;
  std::string name;
};
struct Axis {
  std::string label;
  std::vector<AxisValue> values;
};
struct Range {
  std::string key;
  double min = 0, max = 0;
  bool log = false, integer = false;
  std::string source;
};

[[noreturn]] void fail(const config::Origin& where, const std::string& key, const std::string& what) {
  throw ConfigError(fmt::format("{}: {}: {}", where.describe(), key, what));
}

std::string yaml_text(const ConfigNode& n, const std::string& key) {
  switch (n.kind) {
    case ConfigNode::Kind::Null: return "null";
    case ConfigNode::Kind::Scalar: {
      if (!n.quoted) return n.scalar;
      std::string q = "'";
      for (char c : n.scalar) q += c == '\'' ? std::string("''") : std::string(1, c);
      return q + "'";
    }
    case ConfigNode::Kind::Sequence: {
      std::vector<std::string> items;
      for (const auto& i : n.items) items.push_back(yaml_text(i, key));
      return "[" + text::join(items, ", ") + "]";
    }
    case ConfigNode::Kind::Map: break;
  }
  fail(n.origin, key, "a sweep value cannot be a mapping");
}

Override make_override(const std::string& key, const std::string& value, const std::string& source) {
  Override o = config::parse_override(key + "=" + value);
  o.values = {value};  // a value with commas is one value here, not an axis
  o.source = source;
  return o;
}

// A typed core key of the sweep block, or its default.
nlohmann::json sweep_setting(const ConfigNode* sweep, const std::string& name) {
  const ParamSpec* spec = config::find_core_spec("sweep." + name);
  const ConfigNode* n = sweep && sweep->is_map() ? sweep->find(name) : nullptr;
  if (!n) return config::default_json(*spec);
  nlohmann::json out;
  std::string err = config::to_typed_json(*spec, *n, out);
  if (!err.empty()) fail(n->origin, "sweep." + name, err);
  return out;
}

Axis list_axis(const std::string& key, const ConfigNode& list) {
  Axis axis{key, {}};
  std::size_t maps = 0;
  for (const auto& item : list.items) maps += item.is_map();
  if (maps != 0 && maps != list.items.size())
    fail(list.origin, "sweep.parameters." + key, "mixes bundles ({...}) and plain values; use one kind per axis");
  for (const auto& item : list.items) {
    AxisValue v;
    if (item.is_map()) {  // a bundle: several keys set together, optionally named
      std::vector<std::string> parts;
      for (const auto& [k, value] : item.entries) {
        if (k == "name") {
          v.name = value.scalar;
          continue;
        }
        std::string text = yaml_text(value, k);
        v.overrides.push_back(make_override(k, text, value.origin.describe()));
        parts.push_back(text);
      }
      if (v.overrides.empty()) fail(item.origin, "sweep.parameters." + key, "a bundle must set at least one key");
      if (v.name.empty()) v.name = text::join(parts, ",");
    } else {
      v.name = yaml_text(item, key);
      v.overrides.push_back(make_override(key, v.name, item.origin.describe()));
    }
    axis.values.push_back(std::move(v));
  }
  return axis;
}

Range range_axis(const std::string& key, const ConfigNode& map) {
  Range r;
  r.key = key;
  r.source = map.origin.describe();
  std::string path = "sweep.parameters." + key;
  const ConfigNode *lo = map.find("min"), *hi = map.find("max"), *log = map.find("log");
  for (const auto& [k, v] : map.entries)
    if (k != "min" && k != "max" && k != "log")
      fail(v.key_origin, path + "." + k, "unknown key in a range (expected min, max, log)");
  if (!lo || !hi) fail(map.origin, path, "a range needs both min and max");
  nlohmann::json jlo = config::infer_json(*lo), jhi = config::infer_json(*hi);
  if (!jlo.is_number() || !jhi.is_number()) fail(map.origin, path, "min and max must be numbers");
  r.min = jlo.get<double>();
  r.max = jhi.get<double>();
  r.integer = jlo.is_number_integer() && jhi.is_number_integer();
  if (log) r.log = config::infer_json(*log) == true;
  if (r.min > r.max) fail(map.origin, path, fmt::format("min ({}) is greater than max ({})", r.min, r.max));
  if (r.log && r.min <= 0) fail(map.origin, path, "a log range needs min > 0");
  return r;
}

// `{simplex: [tasks...], divisions: N}` (every weighting with weights in multiples of 1/N) or `{simplex:
// [tasks...], points: [[w...], ...]}` (those weightings, normalised): an axis whose every value sets
// tasks.<task>.weight for each task of the simplex.
Axis simplex_axis(const std::string& key, const ConfigNode& map, const ConfigNode* tasks_block) {
  std::string path = "sweep.parameters." + key;
  for (const auto& [k, v] : map.entries)
    if (k != "simplex" && k != "divisions" && k != "points")
      fail(v.key_origin, path + "." + k, "unknown key in a simplex (expected simplex, and divisions or points)");
  const ConfigNode* list = map.find("simplex");
  std::vector<std::string> tasks;
  if (list->kind == ConfigNode::Kind::Sequence)
    for (const auto& item : list->items) tasks.push_back(item.scalar);
  if (tasks.empty()) fail(list->origin, path + ".simplex", "expected a list of task names");
  std::vector<std::string> known = tasks_block && tasks_block->is_map() ? tasks_block->keys() : std::vector<std::string>{};
  std::map<std::string, double> none;
  for (const auto& t : tasks) none[t] = 1;
  config::normalised_weighting(none, known, list->origin.describe() + ": " + path + ".simplex");  // unknown tasks
  const ConfigNode *divisions = map.find("divisions"), *points = map.find("points");
  if (!divisions == !points) fail(map.origin, path, "a simplex needs divisions: N or points: [[...], ...] (one of them)");
  std::vector<config::Weighting> weightings;
  if (divisions) {
    auto n = config::infer_json(*divisions);
    if (!n.is_number_integer()) fail(divisions->origin, path + ".divisions", "expected an integer");
    weightings = config::simplex_grid(tasks, n.get<int>(), divisions->origin.describe() + ": " + path);
  } else {
    for (const auto& point : points->items) {
      if (point.kind != ConfigNode::Kind::Sequence || point.items.size() != tasks.size())
        fail(point.origin, path + ".points", fmt::format("each point is a list of {} weights, one per task", tasks.size()));
      std::map<std::string, double> raw;
      for (std::size_t i = 0; i < tasks.size(); ++i) {
        auto w = config::infer_json(point.items[i]);
        if (!w.is_number()) fail(point.items[i].origin, path + ".points", "a weight must be a number");
        raw[tasks[i]] = w.get<double>();
      }
      weightings.push_back(config::normalised_weighting(raw, tasks, point.origin.describe() + ": " + path));
    }
  }
  Axis axis{key, {}};
  for (const auto& w : weightings) {
    AxisValue v;
    v.name = w.name();
    for (const auto& [task, weight] : w.weights)
      v.overrides.push_back(make_override("tasks." + task + ".weight", fmt::format("{:.17g}", weight), map.origin.describe()));
    axis.values.push_back(std::move(v));
  }
  return axis;
}

double uniform01(std::mt19937_64& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }

std::string draw(const Range& r, std::mt19937_64& rng) {
  double u = uniform01(rng);
  double v = r.log ? std::exp(std::log(r.min) + u * (std::log(r.max) - std::log(r.min))) : r.min + u * (r.max - r.min);
  if (r.integer) return fmt::format("{}", static_cast<long long>(std::llround(v)));
  return fmt::format("{:.6g}", v);
}

// True when one dotted path is the other or lies inside it ("router" and "router.plugin").
bool overlaps(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  auto n = std::min(a.size(), b.size());
  return std::equal(a.begin(), a.begin() + static_cast<std::ptrdiff_t>(n), b.begin());
}

// A command-line override of a key that the file's sweep block also sets would be replaced by the block's
// value in every trial without a word: refused, naming both.
void refuse_shadowed_overrides(const std::vector<Override>& cli, const std::vector<Axis>& lists,
                               const std::vector<Range>& ranges, const ConfigNode* seeds) {
  for (const auto& o : cli) {
    auto shadowed = [&](const std::string& key, const std::string& by, const std::string& where) {
      if (!overlaps(o.path, text::split(key, '.'))) return;
      throw ConfigError(fmt::format(
          "{}: the command line sets {}, but {} ({}) also sets {} in every trial and would replace it; remove the "
          "override, or drop the file's sweep axes with ~sweep.parameters",
          o.text, o.key(), by, where, key));
    };
    for (const auto& axis : lists)
      for (const auto& value : axis.values)
        for (const auto& set : value.overrides) shadowed(set.key(), "sweep.parameters." + axis.label, set.source);
    for (const auto& r : ranges) shadowed(r.key, "sweep.parameters." + r.key, r.source);
    if (seeds && overlaps(o.path, {"seed"}))
      throw ConfigError(fmt::format("{}: the command line sets seed, but sweep.seeds ({}) sets it in every trial "
                                    "and would replace it; remove the override, or set sweep.seeds=[...] instead",
                                    o.text, seeds->origin.describe()));
  }
}

// Two axes that set one key: in every trial one value would silently replace the other (a bundle's train.lr under
// a train.lr axis merged in from an included file), and the trials would not be what their names say.
void refuse_axes_setting_one_key(const std::vector<Axis>& lists, const std::vector<Range>& ranges) {
  struct Setter {
    std::string axis, key, source;
  };
  std::vector<Setter> setters;
  for (const auto& axis : lists)
    for (const auto& value : axis.values)
      for (const auto& set : value.overrides) setters.push_back({axis.label, set.key(), set.source});
  for (const auto& r : ranges) setters.push_back({r.key, r.key, r.source});
  for (std::size_t i = 0; i < setters.size(); ++i)
    for (std::size_t j = i + 1; j < setters.size(); ++j) {
      const Setter &a = setters[i], &b = setters[j];
      if (a.axis == b.axis || !overlaps(text::split(a.key, '.'), text::split(b.key, '.'))) continue;
      throw ConfigError(fmt::format(
          "sweep.parameters.{} ({}) sets {}, and sweep.parameters.{} ({}) sets {}: in every trial one would replace "
          "the other; set it in one axis only (e.g. move it into the bundles)",
          a.axis, a.source, a.key, b.axis, b.source, b.key));
    }
}

// Every combination of the axes' values, the last axis varying fastest; refused past the sweep limit
// before any of it is built (`already`: trials the result is multiplied by).
std::vector<AxisValue> product(const std::vector<Axis>& axes, const std::string& file, std::int64_t already = 1) {
  std::int64_t count = already;
  for (const auto& axis : axes) {
    count *= static_cast<std::int64_t>(axis.values.size());
    if (count > config::kConfigLimits.sweep_trials)
      throw ConfigError(fmt::format("{}: the sweep expands to more than {} trials (config/limits.h); split it into "
                                    "several sweeps",
                                    file, config::kConfigLimits.sweep_trials));
  }
  std::vector<AxisValue> out(1);
  for (const auto& axis : axes) {
    std::vector<AxisValue> next;
    for (const auto& partial : out)
      for (const auto& v : axis.values) {
        AxisValue combined = partial;
        combined.overrides.insert(combined.overrides.end(), v.overrides.begin(), v.overrides.end());
        std::string part = axis.label + "=" + v.name;
        combined.name = combined.name.empty() ? part : combined.name + " " + part;
        next.push_back(std::move(combined));
      }
    out = std::move(next);
  }
  return out;
}

}  // namespace

SweepPlan expand_sweep(const std::string& file, const std::vector<std::string>& cli_overrides) {
  auto parsed = config::parse_overrides(cli_overrides);
  ConfigNode root = config::load_yaml_file(file);
  config::apply_overrides(root, parsed.fixed);
  const ConfigNode* sweep = root.find("sweep");

  SweepPlan plan;
  plan.file = file;
  std::string method = sweep_setting(sweep, "method").get<std::string>();
  auto seeds = sweep_setting(sweep, "seeds").get<std::vector<std::int64_t>>();
  auto samples = sweep_setting(sweep, "samples").get<std::int64_t>();
  auto random_seed = sweep_setting(sweep, "random_seed").get<std::int64_t>();
  nlohmann::json name = sweep_setting(sweep, "name");
  const ConfigNode* exp_name = root.find_path({"experiment", "name"});
  // Without sweep.name, a sweep is the experiment with the command line's overrides: running the same command
  // again is the same sweep (a resume); other overrides make another sweep of the same experiment.
  plan.name = name.is_string() ? name.get<std::string>() : exp_name && exp_name->is_scalar() ? exp_name->scalar : "default";
  if (!name.is_string() && !cli_overrides.empty()) plan.name += " " + text::join(cli_overrides, " ");

  // Block axes: lists (grid or random choice) and ranges (random only), in file order.
  std::vector<Axis> lists;
  std::vector<Range> ranges;
  const ConfigNode* params = sweep && sweep->is_map() ? sweep->find("parameters") : nullptr;
  if (params && params->is_map()) {
    for (const auto& [key, node] : params->entries) {
      std::string path = "sweep.parameters." + key;
      if (node.kind == ConfigNode::Kind::Null) continue;  // an including file's way to drop an axis it inherits
      if (node.kind == ConfigNode::Kind::Sequence) {
        if (node.items.empty()) fail(node.origin, path, "empty list of values");
        lists.push_back(list_axis(key, node));
      } else if (node.is_map() && node.find("simplex")) {
        lists.push_back(simplex_axis(key, node, root.find("tasks")));
      } else if (node.is_map()) {
        if (method != "random")
          fail(node.origin, path, "a {min, max} range needs sweep.method: random (grid sweeps take a list of values)");
        ranges.push_back(range_axis(key, node));
      } else {
        fail(node.origin, path, fmt::format("expected a list of values or {{min, max, log}}, got '{}'", node.brief()));
      }
    }
  }
  std::vector<Override> cli = parsed.fixed;
  cli.insert(cli.end(), parsed.axes.begin(), parsed.axes.end());
  refuse_shadowed_overrides(cli, lists, ranges, seeds.empty() ? nullptr : sweep->find("seeds"));
  refuse_axes_setting_one_key(lists, ranges);

  std::vector<AxisValue> block;
  if (method == "grid") {
    block = product(lists, file);
  } else {
    std::mt19937_64 rng(static_cast<std::uint64_t>(random_seed));
    for (std::int64_t s = 0; s < samples; ++s) {
      AxisValue draw_value;
      std::vector<std::string> parts;
      for (const auto& axis : lists) {
        const AxisValue& v = axis.values[static_cast<std::size_t>(uniform01(rng) * axis.values.size())];
        draw_value.overrides.insert(draw_value.overrides.end(), v.overrides.begin(), v.overrides.end());
        parts.push_back(axis.label + "=" + v.name);
      }
      for (const auto& r : ranges) {
        std::string value = draw(r, rng);
        draw_value.overrides.push_back(make_override(r.key, value, r.source));
        parts.push_back(r.key + "=" + value);
      }
      draw_value.name = text::join(parts, " ");
      block.push_back(std::move(draw_value));
    }
  }

  // Command-line axes and seeds multiply the block's trials.
  std::vector<Axis> tail;
  for (const auto& axis : parsed.axes) {
    Axis a{axis.key(), {}};
    for (const auto& value : axis.values) a.values.push_back({{axis.with_value(value)}, value});
    tail.push_back(std::move(a));
  }
  if (!seeds.empty()) {
    Axis s{"seed", {}};
    for (auto seed : seeds) s.values.push_back({{config::parse_override("seed=" + std::to_string(seed))}, std::to_string(seed)});
    tail.push_back(std::move(s));
  }
  auto tails = product(tail, file, static_cast<std::int64_t>(block.size()));
  for (const auto& b : block)
    for (const auto& t : tails) {
      TrialSpec trial;
      trial.overrides = parsed.fixed;
      trial.overrides.insert(trial.overrides.end(), b.overrides.begin(), b.overrides.end());
      trial.overrides.insert(trial.overrides.end(), t.overrides.begin(), t.overrides.end());
      // What varies across the sweep names a trial; a sweep of one trial is its experiment.
      trial.name = text::trim(b.name + " " + t.name);
      if (trial.name.empty()) trial.name = exp_name && exp_name->is_scalar() ? exp_name->scalar : "default";
      plan.trials.push_back(std::move(trial));
    }

  plan.spec = {{"file", file}, {"method", method}, {"overrides", cli_overrides}, {"trials", plan.trials.size()}};
  std::vector<std::string> names;
  for (const auto& t : plan.trials) names.push_back(t.name);
  plan.spec["trial_names"] = names;
  return plan;
}

std::vector<ResolvedTrial> resolve_trials(const SweepPlan& plan, const config::PluginSchemaLookup& lookup) {
  std::vector<ResolvedTrial> out;
  std::set<std::string> keys;
  for (const auto& trial : plan.trials) {
    config::ResolvedConfig cfg;
    try {
      cfg = config::resolve(plan.file, trial.overrides, lookup);
    } catch (const ConfigError& e) {
      if (plan.trials.size() == 1) throw;
      throw ConfigError(fmt::format("trial '{}': {}", trial.name, e.what()));
    }
    if (keys.insert(cfg.trial_key()).second) out.push_back({trial, std::move(cfg)});
  }
  return out;
}

}  // namespace remix::sweep
