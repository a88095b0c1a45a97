// Finetuned trials on SmolLM2-135M against Hugging Face PEFT: two real runs (`remix run` on the HF folder, all seven
// projections adapted, a few steps at a large learning rate so the adapters matter) — a single LoRA and a ReMix
// mixture (n = 3, k = 2) — exported with `remix export --format peft` and loaded by PEFT on the transformers model
// (tests/reference/reference_peft.py). The single LoRA's logits and its greedy continuation through
// `remix generate --run` must be PEFT's (and the run on another base is refused); the mixture's experts 0 and 1,
// active together in PEFT, must give remix's output for the routing that sends every token to experts 0 and 1 (a
// zeroed router: its ties go to the lower index). Both must differ from the base model's logits by far more than the
// tolerance, or the check is empty.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "model/safetensors.h"
#include "plugin/registry.h"
#include "store/query.h"
#include "support/reference_data.h"
#include "support/test_env.h"
#include "trial/finetuned_trial.h"

namespace remix::interop {
namespace {

const std::vector<std::vector<std::int64_t>> kSequences = {{1, 9690, 198, 2683, 359, 253, 5356, 5646, 2, 198},
                                                           {504, 3458, 282, 4649, 314},
                                                           {1, 4093, 198, 21, 1344, 8, 216, 34}};

struct Runs {
  test::TempDir dir;
  std::string db, hf;
  std::map<std::string, std::string> id_of;  // variant name -> run id
};

const Runs& runs() {
  static Runs* r = [] {
    auto* out = new Runs;
    out->hf = test::smollm2_dir() + "/hf";
    out->db = out->dir.file("r.db");
    auto config = out->dir.write(
        "exp.yaml",
        fmt::format("experiment: {{name: peft, db: {}, output_dir: {}}}\n"
                    "base: {{source: hf, path: {}}}\n"
                    "adapter: {{target_modules: [q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj], "
                    "r: 4, lora_alpha: 8, num_experts: 3, top_k: 2}}\n"
                    "router: {{plugin: remix}}\n"
                    "tasks: {{math: {{n_train: 16, n_eval: 2}}}}\n"
                    "train: {{steps: 3, batch_size: 2, lr: 2.0e-2, warmup_steps: 0, eval_every: 0, "
                    "checkpoint_every: 3}}\n"
                    "eval: {{max_examples: 2, batch_size: 2, max_new_tokens: 4}}\n"
                    "sweep: {{parameters: {{variant: [{{name: lora, router.plugin: lora, adapter.num_experts: 1, "
                    "adapter.top_k: 1}}, {{name: remix, router.plugin: remix}}]}}}}\n",
                    out->db, out->dir.file("runs"), out->hf));
    auto run = test::run_command({test::remix_bin(), "run", config});
    if (run.exit_code != 0) throw std::runtime_error("remix run failed:\n" + run.err);
    for (const auto& row : store::query_readonly(out->db, "SELECT id, name FROM runs WHERE kind = 'trial'").rows)
      out->id_of[std::get<std::string>(row[1]).substr(std::string("variant=").size())] =
          std::to_string(std::get<std::int64_t>(row[0]));
    return out;
  }();
  return *r;
}

std::string exported(const std::string& variant) {
  const auto& r = runs();
  auto out = r.dir.file("export-" + variant);
  auto e = test::run_command(
      {test::remix_bin(), "export", r.id_of.at(variant), "--db", r.db, "--format", "peft", "-o", out});
  if (e.exit_code != 0) throw std::runtime_error("remix export failed:\n" + e.err);
  return out;
}

// remix's logits of each sequence, batched with left padding.
std::vector<torch::Tensor> remix_logits(model::Transformer& m) {
  torch::NoGradGuard no_grad;
  std::int64_t T = 0;
  for (const auto& s : kSequences) T = std::max<std::int64_t>(T, static_cast<std::int64_t>(s.size()));
  const auto B = static_cast<std::int64_t>(kSequences.size());
  auto tokens = torch::zeros({B, T}, torch::kLong);
  auto valid = torch::zeros({B, T}, torch::kBool);
  for (std::int64_t b = 0; b < B; ++b) {
    const auto n = static_cast<std::int64_t>(kSequences[b].size());
    tokens[b].narrow(0, T - n, n).copy_(torch::tensor(kSequences[b]));
    valid[b].narrow(0, T - n, n).fill_(true);
  }
  model::RoutingContext ctx;
  ctx.valid_mask = valid;
  ctx.prompt_mask = valid;
  auto logits = m->forward(tokens, ctx);
  std::vector<torch::Tensor> out;
  for (std::int64_t b = 0; b < B; ++b) {
    const auto n = static_cast<std::int64_t>(kSequences[b].size());
    out.push_back(logits[b].narrow(0, T - n, n));
  }
  return out;
}

std::string line_after(const std::string& out, const std::string& prefix) {
  auto at = out.find(prefix);
  if (at == std::string::npos) return "";
  auto start = at + prefix.size();
  return out.substr(start, out.find('\n', start) - start);
}

std::vector<std::int64_t> parse_ids(const std::string& line) {
  std::vector<std::int64_t> ids;
  std::stringstream ss(line);
  for (std::int64_t id; ss >> id;) ids.push_back(id);
  return ids;
}

TEST(PeftExportReference, ExportedRunsGivePeftRemixsLogitsAndGreedyTokens) {
  const auto& r = runs();
  auto lookup = plugin::schema_lookup();
  auto lora_dir = exported("lora"), mix_dir = exported("remix");

  // remix: the single LoRA as trained; the mixture with its routers zeroed (every token -> experts 0 and 1).
  auto lora = trial::load_finetuned_model(trial::finetuned_from_run(r.db, r.id_of.at("lora"), lookup), "").adapted;
  auto mix = trial::load_finetuned_model(trial::finetuned_from_run(r.db, r.id_of.at("remix"), lookup), "").adapted;
  {
    torch::NoGradGuard no_grad;
    ASSERT_FALSE(mix.mixture.router_parameters().empty());
    for (auto& p : mix.mixture.router_parameters()) p.zero_();
  }
  auto lora_logits = remix_logits(lora.model), mix_logits = remix_logits(mix.model);

  // The run's greedy continuation through the command, from the same prompt ids PEFT gets.
  auto gen = test::run_command({test::remix_bin(), "generate", "--run", r.db, r.id_of.at("lora"), "--ids",
                                "--max-new-tokens", "12", "The capital of France is"});
  ASSERT_EQ(gen.exit_code, 0) << gen.err;
  auto prompt_ids = parse_ids(line_after(gen.out, "  prompt ids: "));
  auto new_ids = parse_ids(line_after(gen.out, "  new ids: "));
  ASSERT_FALSE(prompt_ids.empty()) << gen.out;
  ASSERT_FALSE(new_ids.empty()) << gen.out;

  nlohmann::json request = {
      {"sequences", kSequences},
      {"cases",
       {{{"name", "lora"}, {"adapters", {{"default", lora_dir}}}, {"active", {"default"}},
         {"greedy_prompt", prompt_ids}, {"greedy_tokens", new_ids.size()}},
        {{"name", "mix"},
         {"adapters", {{"expert_0", mix_dir + "/expert_0"}, {"expert_1", mix_dir + "/expert_1"},
                       {"expert_2", mix_dir + "/expert_2"}}},
         {"active", {"expert_0", "expert_1"}}}}}};
  auto out = r.dir.file("peft.safetensors");
  auto py = test::run_command({test::reference_python(), test::source_dir() + "/tests/reference/reference_peft.py",
                               r.hf, r.dir.write("request.json", request.dump()), out});
  ASSERT_EQ(py.exit_code, 0) << py.err;
  model::SafetensorsFile ref(out);

  for (const auto& [name, logits] : {std::pair{"lora", &lora_logits}, std::pair{"mix", &mix_logits}}) {
    double worst = 0, moved = 0;
    for (std::size_t i = 0; i < kSequences.size(); ++i) {
      auto expected = ref.tensor(fmt::format("{}.{}", name, i));
      ASSERT_EQ((*logits)[i].sizes(), expected.sizes());
      worst = std::max(worst, ((*logits)[i] - expected).abs().max().item<double>());
      moved = std::max(moved, (expected - ref.tensor(fmt::format("base.{}", i))).abs().max().item<double>());
    }
    std::cout << name << ": max |remix - PEFT| = " << worst << ", the adapters move the logits by up to " << moved
              << "\n";
    EXPECT_LT(worst, 2e-3) << name;
    EXPECT_GT(moved, 0.1) << name << ": the adapters barely change the model, so the comparison checks nothing";
  }
  // The run's adapters on another base (the GGUF file: another sha256 than the HF folder it trained on) are refused.
  auto other = test::run_command({test::remix_bin(), "generate", "--run", r.db, r.id_of.at("lora"), "--model",
                                  test::smollm2_dir() + "/SmolLM2-135M-Instruct.Q4_1.gguf", "hello"});
  EXPECT_EQ(other.exit_code, 2) << other.err;
  EXPECT_NE(other.err.find("is not the base the run adapted"), std::string::npos) << other.err;

  auto peft_greedy = ref.tensor("lora.greedy");
  EXPECT_EQ(new_ids, std::vector<std::int64_t>(peft_greedy.data_ptr<std::int64_t>(),
                                               peft_greedy.data_ptr<std::int64_t>() + peft_greedy.numel()));
}

}  // namespace
}  // namespace remix::interop
