// Starting task plugins for tests (see task_fixture.h).
#include "plugins/tasks/task_fixture.h"

#include <stdexcept>

#include "config/typed_value.h"
#include "plugin/library.h"
#include "remix/errors.h"
#include "support/test_env.h"

namespace remix::test {

namespace {

Params params_for(const plugin::PluginLibrary& lib, const nlohmann::json& overrides) {
  std::map<std::string, ParamValue> values;
  const auto& table = lib.descriptor().params;
  for (std::uint32_t i = 0; i < table.count; ++i) {
    const ParamSpec& spec = table.specs[i];
    nlohmann::json value = overrides.contains(spec.name) ? overrides.at(spec.name) : config::default_json(spec);
    values[spec.name] = config::to_param_value(spec, value);
  }
  for (const auto& [key, value] : overrides.items())
    if (!values.count(key)) throw std::invalid_argument("test setup: task has no parameter '" + key + "'");
  return Params(values);
}

}  // namespace

StartedTask start_task(const std::string& plugin, const nlohmann::json& overrides, std::uint64_t seed) {
  auto lib = plugin::PluginLibrary::open(plugin_dir() + "/task_" + plugin + ".so");
  StartedTask started;
  auto warnings = std::make_shared<std::vector<std::string>>();
  TaskContext context;
  context.name = plugin;
  context.seed = seed;
  context.data_dir = source_dir() + "/datasets";
  context.warn = [warnings](const std::string& message) { warnings->push_back(message); };
  started.task = lib->create_task(params_for(*lib, overrides), context);
  started.warnings = *warnings;
  return started;
}

std::string start_error(const std::string& plugin, const nlohmann::json& overrides, bool* user_error) {
  try {
    start_task(plugin, overrides);
  } catch (const UserError& e) {
    if (user_error) *user_error = true;
    return e.what();
  } catch (const std::exception& e) {
    if (user_error) *user_error = false;
    return e.what();
  }
  return "";
}

std::vector<Example> all_examples(Task& task) {
  auto out = task.examples(Split::Train);
  auto eval = task.examples(Split::Eval);
  out.insert(out.end(), eval.begin(), eval.end());
  return out;
}

std::vector<Prediction> gold_predictions(const std::vector<Example>& examples) {
  std::vector<Prediction> out;
  for (const auto& e : examples) out.push_back({e.answer, {}});
  return out;
}

double mean(const std::vector<double>& values) {
  double sum = 0;
  for (double v : values) sum += v;
  return values.empty() ? 0 : sum / static_cast<double>(values.size());
}

}  // namespace remix::test
