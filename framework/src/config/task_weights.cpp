// Task weightings on the simplex (see task_weights.h).
#include "config/task_weights.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <functional>
#include <set>

#include "common/text.h"
#include "remix/errors.h"

namespace remix::config {

std::string Weighting::name() const {
  std::vector<std::string> parts;
  for (const auto& [task, w] : weights) parts.push_back(fmt::format("{}={:.6g}", task, w));
  return text::join(parts, ",");
}

std::vector<Weighting> simplex_grid(const std::vector<std::string>& tasks, int divisions, const std::string& where) {
  if (tasks.empty()) throw ConfigError(where + ": a simplex needs at least one task");
  if (std::set<std::string>(tasks.begin(), tasks.end()).size() != tasks.size())
    throw ConfigError(where + ": a task is listed twice in the simplex");
  if (divisions < 1) throw ConfigError(fmt::format("{}: divisions must be at least 1, got {}", where, divisions));
  std::vector<Weighting> out;
  std::vector<int> counts(tasks.size(), 0);
  // Every way of sharing `divisions` units among the tasks, the first task's share largest first.
  std::function<void(std::size_t, int)> place = [&](std::size_t i, int left) {
    if (i + 1 == tasks.size()) {
      counts[i] = left;
      Weighting w;
      for (std::size_t t = 0; t < tasks.size(); ++t) w.weights[tasks[t]] = static_cast<double>(counts[t]) / divisions;
      out.push_back(std::move(w));
      return;
    }
    for (int c = left; c >= 0; --c) {
      counts[i] = c;
      place(i + 1, left - c);
    }
  };
  place(0, divisions);
  return out;
}

Weighting normalised_weighting(const std::map<std::string, double>& raw, const std::vector<std::string>& known,
                               const std::string& where) {
  double sum = 0;
  for (const auto& [task, w] : raw) {
    if (std::find(known.begin(), known.end(), task) == known.end())
      throw ConfigError(fmt::format("{}: no task '{}'{}; the tasks are {}", where, task, text::did_you_mean(task, known),
                                    text::join(known, ", ")));
    if (!std::isfinite(w) || w < 0)
      throw ConfigError(fmt::format("{}: the weight of task '{}' is {}; weights are finite and at least 0", where,
                                    task, w));
    sum += w;
  }
  if (sum <= 0) throw ConfigError(where + ": every weight is zero; at least one task must weigh something");
  Weighting out;
  for (const auto& task : known) {
    auto it = raw.find(task);
    out.weights[task] = it == raw.end() ? 0.0 : it->second / sum;
  }
  return out;
}

std::vector<Weighting> parse_weightings(const std::string& text, const std::vector<std::string>& tasks,
                                        const std::string& where) {
  auto trimmed = text::trim(text);
  if (!trimmed.empty() && std::all_of(trimmed.begin(), trimmed.end(), [](unsigned char c) { return std::isdigit(c); }))
    return simplex_grid(tasks, trimmed.size() > 6 ? -1 : std::stoi(trimmed), where);
  std::vector<Weighting> out;
  for (const auto& point : text::split(trimmed, ';')) {
    if (text::trim(point).empty()) continue;
    std::map<std::string, double> raw;
    auto here = fmt::format("{} '{}'", where, text::trim(point));
    for (const auto& part : text::split(point, ',')) {
      auto eq = part.find('=');
      std::string task = text::trim(part.substr(0, eq));
      double w = 0;
      std::size_t used = 0;
      try {
        if (eq != std::string::npos) w = std::stod(text::trim(part.substr(eq + 1)), &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (eq == std::string::npos || task.empty() || used == 0 || used != text::trim(part.substr(eq + 1)).size())
        throw ConfigError(fmt::format("{}: expected task=weight, got '{}'", here, text::trim(part)));
      if (raw.count(task)) throw ConfigError(fmt::format("{}: task '{}' is weighted twice", here, task));
      raw[task] = w;
    }
    out.push_back(normalised_weighting(raw, tasks, here));
  }
  if (out.empty())
    throw ConfigError(fmt::format("{}: no weighting given (an integer N for the simplex grid, or "
                                  "\"math=0.5,code=0.5;math=1\")",
                                  where));
  return out;
}

Weighting weighting_of(const nlohmann::json& tree, const std::string& where) {
  std::map<std::string, double> raw;
  std::vector<std::string> tasks;
  if (tree.contains("tasks") && tree["tasks"].is_object())
    for (const auto& [task, block] : tree["tasks"].items()) {
      tasks.push_back(task);
      raw[task] = block.is_object() && block.contains("weight") ? block["weight"].get<double>() : 1.0;
    }
  return normalised_weighting(raw, tasks, where);
}

std::string task_alone(const Weighting& w) {
  std::string alone;
  for (const auto& [task, weight] : w.weights) {
    if (weight <= 0) continue;
    if (!alone.empty()) return "";
    alone = task;
  }
  return alone;
}

nlohmann::json without_task_weights(nlohmann::json tree) {
  tree.erase("experiment");
  if (tree.contains("tasks") && tree["tasks"].is_object())
    for (auto& [task, block] : tree["tasks"].items())
      if (block.is_object()) block.erase("weight");
  return tree;
}

}  // namespace remix::config
