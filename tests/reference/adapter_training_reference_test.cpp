// remix's adapters in training against their authors' code, on a small random transformers Llama made by
// tests/reference/reference_adapter_training.py, with the same adapter weights on both sides and the objective
// Σ logits · probe over valid positions (+ the load-balancing loss), on a batch with a padded row:
// - MixLoRA: MoE-PEFT 2.0.2 (PyPI moe-peft, the MixLoRA authors' training code) against remix's softmax router with
//   MixLoRA's options (adapter.expert_combine: ffn — whole expert FFNs; aux_loss_scope: model — one load-balancing
//   loss over all layers' tokens). Logits, the loss and every router and LoRA gradient must match; remix's defaults
//   (per-projection mixing, per-site loss) must not, so the options are what makes the match.
// - LoRA: Hugging Face PEFT 0.17.1 against remix's single-LoRA router on all seven projections: logits and every
//   A and B gradient.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <functional>
#include <nlohmann/json.hpp>

#include "adapter/routing_trace.h"
#include "model/hf_model.h"
#include "model/safetensors.h"
#include "support/models.h"
#include "support/reference_data.h"
#include "support/test_env.h"

namespace remix::adapter {
namespace {

using model::Projection;

constexpr std::int64_t kRank = 4, kVocab = 96;
constexpr double kAlpha = 8;
const std::vector<std::vector<std::int64_t>> kTokens = {{1, 17, 5, 60, 33, 8, 71, 2}, {1, 40, 41, 42, 9, 0, 0, 0}};
const std::vector<std::vector<std::int64_t>> kMasks = {{1, 1, 1, 1, 1, 1, 1, 1}, {1, 1, 1, 1, 1, 0, 0, 0}};

torch::Tensor rows(const std::vector<std::vector<std::int64_t>>& v) {
  std::vector<torch::Tensor> out;
  for (const auto& r : v) out.push_back(torch::tensor(r));
  return torch::stack(out);
}

const std::string& tiny_llama() {
  static test::TempDir dir;  // removed at exit
  static const std::string path = [] {
    auto p = dir.file("tiny-llama");
    auto made = test::run_command({test::reference_python(),
                                   test::source_dir() + "/tests/reference/reference_adapter_training.py", "make", p});
    if (made.exit_code != 0) throw std::runtime_error("making the tiny Llama failed:\n" + made.err);
    return p;
  }();
  return path;
}

// A reference's name for (a slice of) a remix parameter, and how to cut that slice from the parameter or its gradient.
using Slicer = std::function<torch::Tensor(const torch::Tensor&)>;
using NameMap = std::function<std::vector<std::pair<std::string, Slicer>>(const std::string& remix_name)>;

struct Step {
  torch::Tensor logits, aux;                             // aux undefined without a balance loss
  std::map<std::string, torch::Tensor> weights, grads;  // by the reference's names
};

// One forward and backward of remix in training mode, the adapters (and routers) drawn at random under a fixed seed.
Step remix_step(const MixtureOptions& options, const RouterSource& router, const NameMap& names,
                const torch::Tensor& probe) {
  auto model = model::load_hf_model(tiny_llama());
  auto mixture = attach_mixture(model, options, router);
  torch::manual_seed(7);
  {
    torch::NoGradGuard no_grad;
    for (const auto& m : mixture.modules) {
      m->bank->A.normal_(0, 0.2);
      m->bank->B.normal_(0, 0.3);
    }
    for (auto& p : mixture.router_parameters()) p.normal_(0, 1.0);  // routing far from uniform
  }
  auto valid = rows(kMasks).to(torch::kBool);
  RoutingTrace trace;
  model::RoutingContext ctx;
  ctx.training = true;
  ctx.valid_mask = valid;
  ctx.prompt_mask = valid;
  ctx.trace = &trace;
  Step s;
  s.logits = model->forward(rows(kTokens), ctx);
  auto objective = (s.logits * probe * valid.unsqueeze(-1)).sum();
  if (!mixture.router_parameters().empty()) {
    s.aux = trace.aux_loss();
    objective = objective + s.aux;
  }
  objective.backward();
  for (const auto& item : model->named_parameters()) {
    const auto& name = item.key();
    const auto& p = item.value();
    if (!p.requires_grad()) continue;
    for (const auto& [ref_name, slice] : names(name)) {
      s.weights[ref_name] = slice(p.detach()).clone();
      s.grads[ref_name] = slice(p.grad());
    }
  }
  return s;
}

// The reference run on remix's weights: its logits, aux loss and gradients.
model::SafetensorsFile reference_step(const std::string& mode, const Step& remix, nlohmann::json request,
                                      const torch::Tensor& probe, const test::TempDir& dir) {
  std::vector<std::pair<std::string, torch::Tensor>> weights(remix.weights.begin(), remix.weights.end());
  weights.push_back({"probe", probe});
  auto weights_file = dir.file(mode + "-weights.safetensors"), out = dir.file(mode + "-out.safetensors");
  model::SafetensorsFile::write(weights_file, weights);
  request["tokens"] = kTokens;
  request["masks"] = kMasks;
  request["r"] = kRank;
  request["lora_alpha"] = kAlpha;
  auto py = test::run_command({test::reference_python(),
                               test::source_dir() + "/tests/reference/reference_adapter_training.py", mode,
                               tiny_llama(), dir.write(mode + "-request.json", request.dump()), weights_file, out});
  if (py.exit_code != 0) throw std::runtime_error(mode + " reference failed:\n" + py.err);
  return model::SafetensorsFile(out);
}

torch::Tensor at_valid(const torch::Tensor& t) { return t.masked_select(rows(kMasks).to(torch::kBool).unsqueeze(-1)); }
double max_diff(const torch::Tensor& a, const torch::Tensor& b) { return (a - b).abs().max().item<double>(); }

// The worst gradient difference, relative to the largest entry of its tensor; every name must be in the reference.
double worst_gradient(const Step& remix, const model::SafetensorsFile& ref, double* largest) {
  double worst = 0;
  for (const auto& [name, g] : remix.grads) {
    auto expected = ref.tensor("grad." + name);
    EXPECT_EQ(g.sizes(), expected.sizes()) << name;
    if (g.sizes() != expected.sizes()) continue;
    worst = std::max(worst, max_diff(g, expected) / (expected.abs().max().item<double>() + 1e-6));
    *largest = std::max(*largest, expected.abs().max().item<double>());
  }
  return worst;
}

constexpr std::int64_t kExperts = 4, kTopK = 2;
constexpr double kAuxCoef = 0.05;

// MoE-PEFT's names: "layers.0.ffn.adapter.up.bank.A" -> each expert's "mixlora.layers.0.mlp.up_proj.experts.E.
// lora_A.weight" (A_all [n·r, in] holds expert e's A in rows e·r.., B_all [out, n·r] its B in columns e·r..).
std::vector<std::pair<std::string, Slicer>> moe_peft_names(const std::string& name) {
  const auto start = std::string("layers.").size();
  auto prefix = fmt::format("mixlora.layers.{}.mlp", name.substr(start, name.find('.', start) - start));
  if (name.find(".site.router.weight") != std::string::npos)
    return {{prefix + ".moe_gate.weight", [](const torch::Tensor& t) { return t; }}};
  std::vector<std::pair<std::string, Slicer>> out;
  for (const char* proj : {"gate", "up", "down"})
    for (const char* factor : {"A", "B"}) {
      if (name.find(fmt::format(".adapter.{}.bank.{}", proj, factor)) == std::string::npos) continue;
      const int dim = factor[0] == 'A' ? 0 : 1;
      for (std::int64_t e = 0; e < kExperts; ++e)
        out.push_back({fmt::format("{}.{}_proj.experts.{}.lora_{}.weight", prefix, proj, e, factor),
                       [dim, e](const torch::Tensor& t) { return t.narrow(dim, e * kRank, kRank).contiguous(); }});
    }
  return out;
}

Step mixlora_step(bool mixlora_options, const torch::Tensor& probe) {
  auto options = MixtureOptions()
                     .targets({Projection::Gate, Projection::Up, Projection::Down})
                     .num_experts(kExperts)
                     .top_k(kTopK)
                     .r(kRank)
                     .lora_alpha(kAlpha)
                     .expert_combine(mixlora_options ? ExpertCombine::Ffn : ExpertCombine::Projection);
  std::map<std::string, ParamValue> params = {{"router_aux_loss_coef", kAuxCoef}};
  if (mixlora_options) params["aux_loss_scope"] = std::string("model");
  return remix_step(options, test::router_source("softmax", params), moe_peft_names, probe);
}

TEST(AdapterTrainingReference, MixLorasLogitsBalanceLossAndGradientsAreMoePeftsWithItsOptions) {
  test::TempDir dir;
  torch::manual_seed(11);
  auto probe = torch::randn({2, 8, kVocab});
  auto remix = mixlora_step(/*mixlora_options=*/true, probe), defaults = mixlora_step(false, probe);
  ASSERT_EQ(remix.weights.size(), 2u * (1 + 3 * 2 * kExperts))
      << "2 layers: a router, 3 projections x 4 experts x A, B";
  auto ref = reference_step("mixlora", remix,
                            {{"num_experts", kExperts}, {"top_k", kTopK}, {"router_aux_loss_coef", kAuxCoef},
                             {"target_modules", {"gate_proj", "up_proj", "down_proj"}}},
                            probe, dir);
  auto ref_logits = ref.tensor("logits");
  const double logits_diff = max_diff(at_valid(remix.logits), at_valid(ref_logits));
  const double defaults_diff = max_diff(at_valid(defaults.logits), at_valid(ref_logits));
  const double aux = remix.aux.item<double>(), ref_aux = ref.tensor("aux_loss").item<double>();
  double largest = 0;
  const double worst = worst_gradient(remix, ref, &largest);
  std::cout << "MixLoRA: max |remix - MoE-PEFT| logits " << logits_diff << " (remix's defaults: " << defaults_diff
            << "); balance loss " << aux << " vs " << ref_aux << " (remix's per-site: " << defaults.aux.item<double>()
            << "); worst gradient difference " << worst << " of its tensor's largest entry (largest " << largest
            << ")\n";
  EXPECT_LT(logits_diff, 1e-4);
  EXPECT_NEAR(aux, ref_aux, 1e-6);
  EXPECT_LT(worst, 1e-4);
  EXPECT_GT(largest, 1e-3) << "the objective must move the adapters";
  EXPECT_GT(defaults_diff, 1e-2) << "remix's default per-projection mixing should differ from whole expert FFNs";
  EXPECT_GT(std::abs(defaults.aux.item<double>() - ref_aux), 1e-4) << "the per-site loss should differ";
}

// PEFT's names: "layers.0.attn.adapter.q.bank.A" -> "base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight".
std::vector<std::pair<std::string, Slicer>> peft_names(const std::string& name) {
  const auto start = std::string("layers.").size();
  const auto layer = name.substr(start, name.find('.', start) - start);
  const bool attn = name.find(".attn.adapter.") != std::string::npos;
  for (auto p : model::kAllProjections)
    for (const char* factor : {"A", "B"})
      if (name.find(fmt::format(".adapter.{}.bank.{}", model::projection_name(p), factor)) != std::string::npos)
        return {{fmt::format("base_model.model.model.layers.{}.{}.{}_proj.lora_{}.weight", layer,
                             attn ? "self_attn" : "mlp", model::projection_name(p), factor),
                 [](const torch::Tensor& t) { return t; }}};
  return {};
}

TEST(AdapterTrainingReference, LorasLogitsAndGradientsArePeftsOnEveryProjection) {
  test::TempDir dir;
  torch::manual_seed(12);
  auto probe = torch::randn({2, 8, kVocab});
  std::vector<Projection> all(model::kAllProjections.begin(), model::kAllProjections.end());
  auto options = MixtureOptions().targets(all).num_experts(1).top_k(1).r(kRank).lora_alpha(kAlpha);
  auto remix = remix_step(options, test::router_source("lora"), peft_names, probe);
  ASSERT_EQ(remix.weights.size(), 2u * 7 * 2) << "2 layers x 7 projections x A, B";
  auto ref = reference_step("lora", remix,
                            {{"target_modules", {"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj",
                                                 "down_proj"}}},
                            probe, dir);
  const double logits_diff = max_diff(at_valid(remix.logits), at_valid(ref.tensor("logits")));
  double largest = 0;
  const double worst = worst_gradient(remix, ref, &largest);
  std::cout << "LoRA: max |remix - PEFT| logits " << logits_diff << "; worst gradient difference " << worst
            << " of its tensor's largest entry (largest " << largest << ")\n";
  EXPECT_LT(logits_diff, 1e-4);
  EXPECT_LT(worst, 1e-4);
  EXPECT_GT(largest, 1e-3) << "the objective must move the adapters";
}

}  // namespace
}  // namespace remix::adapter
