// Starting a real task plugin (build/plugins/task_<name>.so) the way the host does, through the loader, with
// its schema's defaults and the parameters a test overrides; and the small things task tests share.
#pragma once

#include <nlohmann/json.hpp>

#include <memory>
#include <string>
#include <vector>

#include "remix/task.h"

namespace remix::test {

struct StartedTask {
  std::shared_ptr<Task> task;
  std::vector<std::string> warnings;  // what the task said through TaskContext::warn while starting
};

// `overrides` is a JSON object of parameter values (an unknown key fails the test's setup with an exception).
// The context's data_dir is the source tree's datasets/.
StartedTask start_task(const std::string& plugin, const nlohmann::json& overrides = nlohmann::json::object(),
                       std::uint64_t seed = 0);
// The message of the exception starting the task throws ("" when it starts); `user_error` tells whether it
// was a remix::UserError (what the CLI turns into exit code 2).
std::string start_error(const std::string& plugin, const nlohmann::json& overrides, bool* user_error = nullptr);

// Every example of both splits.
std::vector<Example> all_examples(Task& task);
// Predictions whose text is each example's gold answer.
std::vector<Prediction> gold_predictions(const std::vector<Example>& examples);
double mean(const std::vector<double>& values);

}  // namespace remix::test
