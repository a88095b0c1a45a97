// Writing a finetuned trial as PEFT adapters (see peft_export.h).
#include "interop/peft_export.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include <cmath>
#include <filesystem>
#include <map>
#include <regex>

#include "adapter/mixture_options.h"
#include "common/atomic_file.h"
#include "model/adapter_slot.h"
#include "model/hf_model.h"
#include "model/safetensors.h"
#include "remix/errors.h"
#include "trial/trial_model.h"

namespace remix::interop {

namespace {

namespace fs = std::filesystem;
using Tensors = std::vector<std::pair<std::string, torch::Tensor>>;

// One adapted projection's expert bank as the checkpoint holds it.
struct Bank {
  int layer = 0;
  std::string projection;  // q, k, ..., down
  torch::Tensor A, B;      // [n·r or r, in], [out, n·r]
};

// How remix weights the experts of this trial: a constant (folded into lora_alpha) or per token.
struct ExpertWeighting {
  std::optional<double> constant;  // the weight of every chosen expert, when the router gives one constant
  std::string rule;                // how a reader of the export applies the router
};

ExpertWeighting expert_weighting(const config::ResolvedConfig& cfg) {
  const auto plugin = cfg.plugin("router").name;
  const auto params = cfg.plugin_params("router");
  const double alpha = cfg.get_float("adapter.lora_alpha"), r = static_cast<double>(cfg.get_int("adapter.r")),
               k = static_cast<double>(cfg.get_int("adapter.top_k"));
  if (plugin == "lora") return {alpha / r, "every token: the one adapter as exported"};
  if (plugin == "remix") {
    double omega = params.is_number("omega")                   ? params.get_float("omega")
                   : params.get_string("omega") == "rslora" ? alpha / std::sqrt(k * r)
                                                              : alpha / (k * r);
    return {omega, fmt::format("each token (granularity {}): the adapters of the top-{} experts of "
                               "softmax(router.weight · x) added as exported (each carries ω = {} in its lora_alpha)",
                               params.get_string("granularity"), cfg.get_int("adapter.top_k"), omega)};
  }
  if (cfg.get_int("adapter.num_experts") == 1 && (plugin == "softmax" || plugin == "hydra"))
    return {alpha / r, "every token: the one adapter as exported (its routing weight is always 1)"};
  if (plugin == "softmax")
    return {std::nullopt, fmt::format("each token: the top-{} experts of softmax(router.weight · x), each adapter's "
                                      "output times its probability renormalised over the chosen",
                                      cfg.get_int("adapter.top_k"))};
  if (plugin == "hydra")
    return {std::nullopt, "each token: every head, each adapter's output times softmax(router.weight · x)"};
  return {std::nullopt, fmt::format("computed by the router plugin '{}' (remix cannot describe it)", plugin)};
}

std::pair<std::vector<Bank>, Tensors> split_checkpoint(const trial::FinetunedTrial& t) {
  static const std::regex bank_name(R"(layers\.(\d+)\.(attn|ffn)\.adapter\.([a-z]+)\.bank\.(A|B))");
  std::map<std::pair<int, std::string>, Bank> banks;
  Tensors routers;
  for (const auto& [name, tensor] : t.stored.tensors) {
    std::smatch m;
    if (!std::regex_match(name, m, bank_name)) {
      if (name.find(".router.") == std::string::npos && name.rfind("router", 0) != 0)
        throw UserError(fmt::format("{}: {} holds '{}', neither a LoRA factor nor a router parameter: remix cannot "
                                    "export it",
                                    t.label, t.checkpoint, name));
      routers.emplace_back(name, tensor);
      continue;
    }
    auto& bank = banks[{std::stoi(m[1]), m[3]}];
    bank.layer = std::stoi(m[1]);
    bank.projection = m[3];
    (m[4] == "A" ? bank.A : bank.B) = tensor.to(torch::kFloat32).contiguous();
  }
  std::vector<Bank> out;
  for (auto& [key, bank] : banks) {
    if (!bank.A.defined() || !bank.B.defined() || !model::parse_projection(bank.projection))
      throw UserError(fmt::format("{}: {} has an incomplete LoRA at layers.{}.{}", t.label, t.checkpoint, bank.layer,
                                  bank.projection));
    out.push_back(std::move(bank));
  }
  if (out.empty()) throw UserError(fmt::format("{}: {} holds no LoRA factors", t.label, t.checkpoint));
  return {std::move(out), std::move(routers)};
}

// PEFT's name of a LoRA factor of an adapted projection.
std::string peft_name(const Bank& bank, const char* factor) {
  auto base = model::hf_tensor_name({bank.layer, bank.projection + ".weight"});
  return fmt::format("base_model.model.{}.{}.weight", base.substr(0, base.size() - 7), factor);
}

nlohmann::json adapter_config(const config::ResolvedConfig& cfg, double lora_alpha) {
  std::vector<std::string> targets;
  for (const auto& m : cfg.get<std::vector<std::string>>("adapter.target_modules"))
    targets.push_back(m.size() > 5 && m.substr(m.size() - 5) == "_proj" ? m : m + "_proj");
  std::sort(targets.begin(), targets.end());
  targets.erase(std::unique(targets.begin(), targets.end()), targets.end());
  const auto source = cfg.get_string("base.source");
  return {{"peft_type", "LORA"},
          {"task_type", "CAUSAL_LM"},
          {"base_model_name_or_path", source == "hf" || source == "gguf" ? cfg.get_string("base.path") : ""},
          {"r", cfg.get_int("adapter.r")},
          {"lora_alpha", lora_alpha},
          {"lora_dropout", cfg.get_float("adapter.lora_dropout")},
          {"target_modules", targets},
          {"bias", "none"},
          {"fan_in_fan_out", false},
          {"use_rslora", false},
          {"use_dora", false},
          {"init_lora_weights", true},
          {"inference_mode", true},
          {"modules_to_save", nullptr},
          {"layers_to_transform", nullptr}};
}

// Expert e's factors from the bank (shared_a: the one A).
std::pair<torch::Tensor, torch::Tensor> expert(const Bank& bank, std::int64_t e, std::int64_t r) {
  auto A = bank.A.size(0) == r ? bank.A : bank.A.narrow(0, e * r, r);
  return {A.contiguous(), bank.B.narrow(1, e * r, r).contiguous()};
}

void write_adapter(const fs::path& dir, const std::vector<Bank>& banks, std::int64_t e, std::int64_t r,
                   const nlohmann::json& config, const std::map<std::string, std::string>& metadata) {
  fs::create_directories(dir);
  Tensors tensors;
  for (const auto& bank : banks) {
    auto [A, B] = expert(bank, e, r);
    tensors.emplace_back(peft_name(bank, "lora_A"), A);
    tensors.emplace_back(peft_name(bank, "lora_B"), B);
  }
  model::SafetensorsFile::write((dir / "adapter_model.safetensors").string(), tensors, metadata);
  write_file_atomically((dir / "adapter_config.json").string(), config.dump(2) + "\n");
}

}  // namespace

ExportedFiles export_peft(const trial::FinetunedTrial& t, const std::string& out_dir) {
  const auto& cfg = t.config;
  const auto n = cfg.get_int("adapter.num_experts"), r = cfg.get_int("adapter.r");
  const double alpha = cfg.get_float("adapter.lora_alpha");
  auto [banks, routers] = split_checkpoint(t);
  for (const auto& bank : banks)
    if (bank.B.size(1) != n * r || (bank.A.size(0) != n * r && bank.A.size(0) != r))
      throw UserError(fmt::format("{}: {} holds layers.{}.{} with {} experts of rank {}, its config says {} of rank {}",
                                  t.label, t.checkpoint, bank.layer, bank.projection, bank.B.size(1) / r, r, n, r));
  const auto weighting = expert_weighting(cfg);
  if (n == 1 && !weighting.constant)
    throw UserError(fmt::format("{}: remix cannot say what weight the router plugin '{}' gives its one expert, so it "
                                "cannot export it as a PEFT adapter",
                                t.label, cfg.plugin("router").name));
  // PEFT scales by lora_alpha / r: a constant weight w becomes lora_alpha = w·r.
  const double exported_alpha = weighting.constant ? *weighting.constant * static_cast<double>(r) : alpha;
  const std::map<std::string, std::string> metadata = {{"format", "pt"}, {"remix.source", t.label}};
  const fs::path out(out_dir);
  if (fs::exists(out) && !fs::is_directory(out))
    throw UserError(fmt::format("-o {}: is a file, not a folder to export into", out_dir));
  std::error_code ec;
  if (fs::create_directories(out, ec); ec)
    throw UserError(fmt::format("-o {}: cannot create the folder: {}", out_dir, ec.message()));
  ExportedFiles written;
  nlohmann::json record = {{"format", "remix-peft-export"},
                           {"version", 1},
                           {"source", t.label},
                           {"checkpoint", t.checkpoint},
                           {"step", t.stored.meta.value("step", -1)},
                           {"config", cfg.tree()}};
  if (n == 1) {
    write_adapter(out, banks, 0, r, adapter_config(cfg, exported_alpha), metadata);
    written.files = {"adapter_config.json", "adapter_model.safetensors"};
  } else {
    std::vector<std::string> experts;
    for (std::int64_t e = 0; e < n; ++e) {
      experts.push_back(fmt::format("expert_{}", e));
      write_adapter(out / experts.back(), banks, e, r, adapter_config(cfg, exported_alpha), metadata);
      written.files.push_back(experts.back() + "/adapter_config.json");
      written.files.push_back(experts.back() + "/adapter_model.safetensors");
    }
    model::SafetensorsFile::write((out / "routers.safetensors").string(), routers, metadata);
    written.files.push_back("routers.safetensors");
    const auto options = trial::fitted_mixture_options(cfg);
    record["mixture"] = {
        {"experts", experts},
        {"num_experts", n},
        {"top_k", cfg.get_int("adapter.top_k")},
        {"router_plugin", cfg.plugin("router").name},
        {"router_plugin_version", cfg.plugin("router").version},
        {"router_params", cfg.tree().value("router", nlohmann::json::object())},
        {"router_scope", adapter::scope_name(*options.scope())},
        {"expert_layout", adapter::layout_name(*options.layout())},
        {"routers", "routers.safetensors: layers.N.attn|ffn.adapter.site.router.* (scope block: one router per "
                    "sub-block, reading its input after the RMSNorm, i.e. the output of input_layernorm or "
                    "post_attention_layernorm) or layers.N.attn|ffn.adapter.site_<proj>.router.* (scope module: one "
                    "per projection, reading that projection's input)"},
        {"weights", weighting.rule},
        {"adapter_scaling", exported_alpha / static_cast<double>(r)},
    };
  }
  write_file_atomically((out / "remix_export.json").string(), record.dump(2) + "\n");
  written.files.push_back("remix_export.json");
  return written;
}

}  // namespace remix::interop
