// Trial checkpoints (see trial_checkpoint.h).
#include "train/trial_checkpoint.h"

#include <ATen/core/Generator.h>
#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <filesystem>
#include <sstream>

#include <fmt/format.h>

#include "common/log.h"
#include "common/sealed_file.h"
#include "common/text.h"
#include "model/checkpoint.h"
#include "remix/errors.h"

namespace remix::train {

namespace fs = std::filesystem;

namespace {

std::vector<std::pair<std::int64_t, std::string>> checkpoints_in(const std::string& dir) {
  std::vector<std::pair<std::int64_t, std::string>> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    std::string name = e.path().filename().string();
    if (!text::starts_with(name, "checkpoint-") || !text::ends_with(name, ".pt")) continue;
    try {
      out.emplace_back(std::stoll(name.substr(11, name.size() - 14)), e.path().string());
    } catch (const std::exception&) {
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TrialCheckpoints::TrialCheckpoints(std::string dir, nlohmann::json identity, std::int64_t keep,
                                   std::function<void(const RejectedCheckpoint&)> on_rejected)
    : dir_(std::move(dir)), identity_(std::move(identity)), keep_(keep), on_rejected_(std::move(on_rejected)) {
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (!fs::is_directory(dir_))
    throw ConfigError(fmt::format("experiment.output_dir: cannot create the trial folder '{}'", dir_));
  // Only one process runs a trial at a time, so a temporary file here is what a killed attempt left mid-write.
  for (const auto& e : fs::directory_iterator(dir_, ec))
    if (e.path().filename().string().find(".tmp.") != std::string::npos) fs::remove(e.path(), ec);
}

SavedCheckpoint TrialCheckpoints::save(const TrainingState& state,
                                   const std::vector<std::pair<std::string, torch::Tensor>>& parameters,
                                   torch::optim::Optimizer& optimizer) {
  torch::serialize::OutputArchive archive;
  nlohmann::json meta = {{"format", "remix-trial-checkpoint"},
                         {"version", 1},
                         {"step", state.step},
                         {"data_cursors", state.data_cursors},
                         {"compute", {{"tokens", state.compute.tokens}, {"flops", state.compute.flops},
                                      {"seconds", state.compute.seconds}}},
                         {"config", identity_}};
  archive.write("meta", c10::IValue(meta.dump()));
  // Parameters on the CPU, readable anywhere (previews, export); the optimizer's state as it is, mapped to the
  // trainable parameters' device when resumed.
  for (const auto& [name, tensor] : parameters) archive.write("param/" + name, tensor.detach().cpu());
  torch::serialize::OutputArchive opt;
  optimizer.save(opt);
  archive.write("optimizer", opt);
  {
    auto gen = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(gen.mutex());
    archive.write("rng/cpu", gen.get_state());
  }
  std::ostringstream bytes;
  archive.save_to(bytes);
  std::string path = (fs::path(dir_) / fmt::format("checkpoint-{:09d}.pt", state.step)).string();
  last_saved_ = SavedCheckpoint{path, write_sealed_file(path, bytes.str())};
  auto all = checkpoints_in(dir_);
  for (std::size_t i = 0; i + static_cast<std::size_t>(keep_) < all.size(); ++i) remove_sealed_file(all[i].second);
  return *last_saved_;
}

SavedCheckpoint TrialCheckpoints::save_precision(const std::string& kind,
                                                const std::vector<std::pair<std::string, torch::Tensor>>& tensors,
                                                std::int64_t count) {
  torch::serialize::OutputArchive archive;
  nlohmann::json meta = {{"format", "remix-precision"}, {"version", 1}, {"kind", kind}, {"count", count},
                         {"config", identity_}};
  archive.write("meta", c10::IValue(meta.dump()));
  for (const auto& [name, tensor] : tensors) archive.write("param/" + name, tensor.detach().cpu());
  std::ostringstream bytes;
  archive.save_to(bytes);
  std::string path = (fs::path(dir_) / fmt::format("precision-{}.pt", kind)).string();
  return SavedCheckpoint{path, write_sealed_file(path, bytes.str())};
}

StoredTensors read_stored_tensors(const std::string& path) {
  require_sealed_file(path);
  StoredTensors out;
  torch::serialize::InputArchive archive;
  try {
    archive.load_from(path, torch::Device(torch::kCPU));  // a GPU run's checkpoint read on any machine
    c10::IValue m;
    archive.read("meta", m);
    out.meta = nlohmann::json::parse(m.toStringRef());
  } catch (const std::exception& e) {
    throw DataError(fmt::format("{}: not a readable remix checkpoint or precision ({})", path,
                                text::split(e.what(), '\n')[0]));
  }
  for (const auto& key : archive.keys()) {
    if (!text::starts_with(key, "param/")) continue;
    torch::Tensor t;
    archive.read(key, t);
    out.tensors.emplace_back(key.substr(6), t);
  }
  return out;
}

std::optional<TrainingState> TrialCheckpoints::load_latest(
    const std::vector<std::pair<std::string, torch::Tensor>>& parameters, torch::optim::Optimizer& optimizer) {
  // Newest first; a checkpoint that is not complete and intact is refused and the one before it tried.
  std::optional<std::string> path;
  auto all = checkpoints_in(dir_);
  for (auto it = all.rbegin(); it != all.rend() && !path; ++it) {
    auto check = check_sealed_file(it->second);
    if (check.intact) {
      path = it->second;
      continue;
    }
    RejectedCheckpoint rejected{it->second, check.problem};
    log::warn("checkpoint {} is refused: {}; {}", rejected.path, rejected.problem,
              std::next(it) != all.rend() ? "trying the one before it" : "no checkpoint left: training starts over");
    if (on_rejected_) on_rejected_(rejected);
  }
  if (!path) return std::nullopt;
  torch::serialize::InputArchive archive;
  nlohmann::json meta;
  try {
    archive.load_from(*path, parameters.empty() ? torch::Device(torch::kCPU) : parameters.front().second.device());
    c10::IValue m;
    archive.read("meta", m);
    meta = nlohmann::json::parse(m.toStringRef());
  } catch (const std::exception& e) {
    throw DataError(fmt::format("{}: not a readable remix trial checkpoint ({})", *path, text::split(e.what(), '\n')[0]));
  }
  if (meta.value("format", "") != "remix-trial-checkpoint")
    throw DataError(fmt::format("{}: not a remix trial checkpoint", *path));
  auto diffs = model::config_differences(meta["config"], identity_);
  if (!diffs.empty())
    throw DataError(fmt::format("{}: checkpoint of another config ({}); remove it or point experiment.output_dir "
                                "elsewhere",
                                *path, text::join(diffs, "; ")));
  torch::NoGradGuard no_grad;
  for (const auto& [name, tensor] : parameters) {
    torch::Tensor saved;
    if (!archive.try_read("param/" + name, saved) || !saved.sizes().equals(tensor.sizes()))
      throw DataError(fmt::format("{}: parameter '{}' is missing or has another shape", *path, name));
    tensor.copy_(saved);
  }
  torch::serialize::InputArchive opt;
  archive.read("optimizer", opt);
  optimizer.load(opt);
  torch::Tensor rng;
  archive.read("rng/cpu", rng);
  {
    auto gen = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(gen.mutex());
    gen.set_state(rng.cpu());
  }
  resumed_from_ = *path;
  TrainingState state;
  state.step = meta["step"].get<std::int64_t>();
  state.data_cursors = meta["data_cursors"].get<std::vector<std::int64_t>>();
  if (meta.contains("compute")) {
    const auto& c = meta["compute"];
    state.compute = {c.value("tokens", 0.0), c.value("flops", 0.0), c.value("seconds", 0.0)};
  }
  return state;
}

}  // namespace remix::train
