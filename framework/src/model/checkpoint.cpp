// Saving and loading remix checkpoints (see checkpoint.h).
#include "model/checkpoint.h"

#include <torch/csrc/jit/serialization/pickle.h>

#include <fmt/format.h>
#include <fmt/ranges.h>  // fmt::join (fmt 11 keeps it here)

#include <filesystem>
#include <fstream>
#include <iterator>

#include "common/sealed_file.h"
#include "common/text.h"
#include "remix/errors.h"

namespace remix::model {

namespace {

constexpr const char* kFormat = "remix-checkpoint";
constexpr int kVersion = 1;

void flatten(const nlohmann::json& j, const std::string& prefix,
             std::vector<std::pair<std::string, nlohmann::json>>& out) {
  if (j.is_object() && !j.empty()) {
    for (auto it = j.begin(); it != j.end(); ++it)
      flatten(it.value(), prefix.empty() ? it.key() : prefix + "." + it.key(), out);
  } else {
    out.emplace_back(prefix, j);
  }
}

std::map<std::string, torch::Tensor> named_tensors(torch::nn::Module& module) {
  std::map<std::string, torch::Tensor> out;
  for (const auto& p : module.named_parameters()) out[p.key()] = p.value();
  for (const auto& b : module.named_buffers()) out[b.key()] = b.value();
  return out;
}

struct Contents {
  nlohmann::json meta;
  c10::Dict<std::string, at::Tensor> tensors;
};

Contents read_contents(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw DataError(fmt::format("cannot open checkpoint {}", path));
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  Contents c;
  try {
    auto value = torch::pickle_load(bytes);
    auto elements = value.toTupleRef().elements();
    if (elements.size() != 2) throw std::runtime_error("expected a (meta, tensors) pair");
    c.meta = nlohmann::json::parse(elements[0].toStringRef());
    c.tensors = c10::impl::toTypedDict<std::string, at::Tensor>(elements[1].toGenericDict());
  } catch (const std::exception& e) {
    throw DataError(
        fmt::format("{} is not a remix checkpoint (or is corrupt): {}", path, text::split(e.what(), '\n').at(0)));
  }
  if (c.meta.value("format", "") != kFormat || c.meta.value("version", 0) != kVersion)
    throw DataError(fmt::format("{}: not a version-{} remix checkpoint (meta: {})", path, kVersion, c.meta.dump()));
  return c;
}

}  // namespace

std::vector<std::string> config_differences(const nlohmann::json& actual, const nlohmann::json& expected) {
  std::vector<std::pair<std::string, nlohmann::json>> leaves;
  flatten(expected, "", leaves);
  std::vector<std::string> out;
  for (const auto& [key, want] : leaves) {
    auto ptr = nlohmann::json::json_pointer("/" + text::join(text::split(key, '.'), "/"));
    if (!actual.contains(ptr)) {
      out.push_back(fmt::format("{}: checkpoint has no such key, asked for {}", key, want.dump()));
    } else if (actual.at(ptr) != want) {
      out.push_back(fmt::format("{}: checkpoint {}, asked for {}", key, actual.at(ptr).dump(), want.dump()));
    }
  }
  return out;
}

std::string save_checkpoint(const std::string& path, torch::nn::Module& module, const nlohmann::json& config) {
  nlohmann::json meta = {{"format", kFormat}, {"version", kVersion}, {"config", config}};
  c10::Dict<std::string, at::Tensor> tensors;
  for (const auto& [name, t] : named_tensors(module)) tensors.insert(name, t.detach().to(torch::kCPU));
  auto bytes = torch::pickle_save(c10::ivalue::Tuple::create({c10::IValue(meta.dump()), c10::IValue(tensors)}));
  return write_sealed_file(path, std::string(bytes.begin(), bytes.end()));
}

nlohmann::json read_checkpoint_config(const std::string& path) { return read_contents(path).meta.at("config"); }

void load_checkpoint(const std::string& path, torch::nn::Module& module, const nlohmann::json& expected) {
  if (std::filesystem::exists(seal_path(path))) require_sealed_file(path);
  auto contents = read_contents(path);
  auto diffs = config_differences(contents.meta.at("config"), expected);
  if (!diffs.empty())
    throw DataError(
        fmt::format("checkpoint {} was written for another configuration:\n  {}", path, text::join(diffs, "\n  ")));
  torch::NoGradGuard no_grad;
  for (auto& [name, target] : named_tensors(module)) {
    if (!contents.tensors.contains(name)) throw DataError(fmt::format("checkpoint {} has no tensor '{}'", path, name));
    auto source = contents.tensors.at(name);
    if (source.sizes() != target.sizes())
      throw DataError(fmt::format("checkpoint {}: tensor '{}' has shape [{}], the model expects [{}]", path, name,
                                  fmt::join(source.sizes(), ", "), fmt::join(target.sizes(), ", ")));
    target.copy_(source);
  }
}

nlohmann::json base_model_config(const TransformerOptions& options, const std::string& tokenizer_kind) {
  auto model = to_json(options);
  model["tokenizer"] = tokenizer_kind;
  return {{"model", model}};
}

}  // namespace remix::model
