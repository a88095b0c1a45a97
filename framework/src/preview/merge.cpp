// The merging rules (see merge.h).
#include "preview/merge.h"

#include <fmt/format.h>
#include <fmt/ranges.h>  // fmt::join (fmt 11 keeps it here)

#include "common/text.h"
#include "remix/errors.h"

namespace remix::preview {

namespace {

void check_aligned(const std::vector<NamedTensors>& sets, const std::vector<double>& alpha) {
  if (sets.empty() || sets.size() != alpha.size())
    throw std::invalid_argument("merge: one set of tensors per task weight is needed");
  for (const auto& s : sets) {
    if (s.size() != sets[0].size()) throw UserError("merge: the runs hold different parameters; they cannot be merged");
    for (std::size_t i = 0; i < s.size(); ++i)
      if (s[i].first != sets[0][i].first || !s[i].second.sizes().equals(sets[0][i].second.sizes()))
        throw UserError(fmt::format("merge: parameter '{}' differs in name or shape between the runs ([{}] vs [{}])",
                                    sets[0][i].first, fmt::join(sets[0][i].second.sizes(), ", "),
                                    fmt::join(s[i].second.sizes(), ", ")));
  }
}

}  // namespace

NamedTensors merge_arithmetic(const std::vector<NamedTensors>& task_params, const std::vector<double>& alpha) {
  check_aligned(task_params, alpha);
  NamedTensors out;
  for (std::size_t i = 0; i < task_params[0].size(); ++i) {
    auto sum = torch::zeros_like(task_params[0][i].second);
    for (std::size_t t = 0; t < task_params.size(); ++t) sum.add_(task_params[t][i].second, alpha[t]);
    out.emplace_back(task_params[0][i].first, sum);
  }
  return out;
}

PrecisionMerge merge_precision(const NamedTensors& start, double prior_precision,
                               const std::vector<NamedTensors>& task_params,
                               const std::vector<NamedTensors>& precisions, const std::vector<double>& alpha) {
  check_aligned(task_params, alpha);
  check_aligned(precisions, alpha);
  std::vector<NamedTensors> with_start = task_params;
  with_start.push_back(start);
  check_aligned(with_start, std::vector<double>(with_start.size(), 0.0));
  if (!(prior_precision > 0)) throw UserError("merge: the prior precision must be positive");
  PrecisionMerge out;
  for (std::size_t i = 0; i < start.size(); ++i) {
    const auto& name = start[i].first;
    bool measured = false;
    for (const auto& p : precisions) measured = measured || p[i].second.abs().max().item<double>() > 0;
    if (!measured) {
      auto sum = torch::zeros_like(start[i].second);
      for (std::size_t t = 0; t < task_params.size(); ++t) sum.add_(task_params[t][i].second, alpha[t]);
      out.tensors.emplace_back(name, sum);
      out.arithmetic.push_back(name);
      continue;
    }
    auto numerator = start[i].second * prior_precision;
    auto denominator = torch::full_like(start[i].second, prior_precision);
    for (std::size_t t = 0; t < task_params.size(); ++t) {
      numerator.add_(precisions[t][i].second * task_params[t][i].second, alpha[t]);
      denominator.add_(precisions[t][i].second, alpha[t]);
    }
    out.tensors.emplace_back(name, numerator / denominator);
  }
  return out;
}

NamedTensors merge_delta_w(const std::vector<NamedTensors>& task_params, const std::vector<double>& alpha) {
  check_aligned(task_params, alpha);
  NamedTensors out;
  for (std::size_t i = 0; i < task_params[0].size(); ++i) {
    const auto& name = task_params[0][i].first;
    std::vector<torch::Tensor> parts;
    if (text::ends_with(name, ".A")) {
      for (const auto& p : task_params) parts.push_back(p[i].second);
      out.emplace_back(name, torch::cat(parts, 0));
    } else if (text::ends_with(name, ".B")) {
      for (std::size_t t = 0; t < task_params.size(); ++t) parts.push_back(task_params[t][i].second * alpha[t]);
      out.emplace_back(name, torch::cat(parts, 1));
    } else {
      throw UserError(fmt::format("merge: delta-w merges single LoRAs, and '{}' is neither a LoRA A nor B (a router "
                                  "parameter?); use arithmetic or precision",
                                  name));
    }
  }
  return out;
}

double mean_precision(const std::vector<NamedTensors>& precisions) {
  double sum = 0;
  std::int64_t n = 0;
  for (const auto& set : precisions)
    for (const auto& [name, t] : set) {
      sum += t.sum().item<double>();
      n += t.numel();
    }
  return n > 0 ? sum / static_cast<double>(n) : 0.0;
}

}  // namespace remix::preview
