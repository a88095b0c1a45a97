// `remix export --format peft` on trials of the tiny built-in base (PEFT itself loads real exports in
// tests/reference/peft_export_reference_test.cpp): PEFT's tensor names and shapes, each expert's factors cut from
// the bank exactly (HydraLoRA's shared A in every head), a constant routing weight folded into lora_alpha (the single
// LoRA's lora_alpha/r, ReMix's ω), the learned-weight routers exported at lora_alpha/r with their rule written down,
// the same export by run and by checkpoint file; and the bad inputs of export and generate --run/--checkpoint exit 2
// naming what is wrong.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "model/safetensors.h"
#include "store/query.h"
#include "support/test_env.h"
#include "train/trial_checkpoint.h"

namespace remix::interop {
namespace {

namespace fs = std::filesystem;

struct Runs {
  test::TempDir dir;
  std::string db;
  std::map<std::string, std::string> id_of, checkpoint_of;  // variant -> run id, checkpoint file
};

// Three finished trials, one per router kind: a single LoRA, ReMix (n = 3, k = 2), hydra (n = 3).
const Runs& runs() {
  static Runs* r = [] {
    auto* out = new Runs;
    out->db = out->dir.file("r.db");
    auto config = out->dir.write(
        "exp.yaml",
        "experiment: {name: export, db: " + out->db + ", output_dir: " + out->dir.file("runs") + "}\n"
        "base: {cache_dir: " + out->dir.file("base_cache") + ", pretrain: {steps: 3, batch_size: 4, warmup_steps: 1}}\n"
        "model: {dim: 16, n_layers: 1, n_heads: 2, n_kv_heads: 2, ffn_dim: 32}\n"
        "adapter: {r: 2, lora_alpha: 6, num_experts: 3, top_k: 2, target_modules: [q, o, gate, down]}\n"
        "router: {plugin: remix}\n"
        "tasks: {math: {n_train: 16, n_eval: 2}}\n"
        "train: {steps: 2, batch_size: 4, samples: 2, eval_every: 0, checkpoint_every: 2, warmup_steps: 0, lr: 0.05}\n"
        "eval: {max_examples: 2, max_new_tokens: 4}\n"
        "sweep: {parameters: {variant: [{name: lora, router.plugin: lora, adapter.num_experts: 1, adapter.top_k: 1}, "
        "{name: remix, router.plugin: remix}, {name: hydra, router.plugin: hydra}]}}\n");
    auto run = test::run_command({test::remix_bin(), "run", config});
    if (run.exit_code != 0) throw std::runtime_error("remix run failed:\n" + run.err);
    auto rows = store::query_readonly(out->db, "SELECT r.id, r.name, a.path FROM runs r JOIN artifacts a ON a.run_id = "
                                               "r.id WHERE r.kind = 'trial' AND a.kind = 'checkpoint'").rows;
    for (const auto& row : rows) {
      auto variant = std::get<std::string>(row[1]).substr(8);
      out->id_of[variant] = std::to_string(std::get<std::int64_t>(row[0]));
      out->checkpoint_of[variant] = std::get<std::string>(row[2]);
    }
    return out;
  }();
  return *r;
}

std::string exported(const std::string& variant) {
  const auto& r = runs();
  auto out = r.dir.file("export-" + variant);
  auto e = test::run_remix({"export", r.id_of.at(variant), "--db", r.db, "--format", "peft", "-o", out});
  if (e.exit_code != 0) throw std::runtime_error("remix export failed:\n" + e.err);
  return out;
}

std::vector<std::string> names(const model::SafetensorsFile& f) {
  std::vector<std::string> out;
  for (const auto& [name, entry] : f.tensors()) out.push_back(name);
  return out;
}

std::map<std::string, torch::Tensor> checkpoint_tensors(const std::string& variant) {
  auto stored = train::read_stored_tensors(runs().checkpoint_of.at(variant));
  return {stored.tensors.begin(), stored.tensors.end()};
}

nlohmann::json read_json(const std::string& path) { return nlohmann::json::parse(test::read_file(path)); }

TEST(PeftExport, SingleLoraHasPeftsNamesShapesValuesAndScaling) {
  auto dir = exported("lora");
  auto config = read_json(dir + "/adapter_config.json");
  EXPECT_EQ(config["peft_type"], "LORA");
  EXPECT_EQ(config["r"], 2);
  EXPECT_DOUBLE_EQ(config["lora_alpha"].get<double>(), 6.0);  // the lora router's weight is lora_alpha/r already
  EXPECT_EQ(config["target_modules"], nlohmann::json({"down_proj", "gate_proj", "o_proj", "q_proj"}));
  model::SafetensorsFile file(dir + "/adapter_model.safetensors");
  auto ckpt = checkpoint_tensors("lora");
  EXPECT_EQ(names(file).size(), 8u);  // 1 layer x 4 projections x (A, B)
  auto a = file.tensor("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight");
  auto b = file.tensor("base_model.model.model.layers.0.mlp.down_proj.lora_B.weight");
  EXPECT_TRUE(a.equal(ckpt.at("layers.0.attn.adapter.q.bank.A")));
  EXPECT_TRUE(b.equal(ckpt.at("layers.0.ffn.adapter.down.bank.B")));
  EXPECT_GT(b.abs().max().item<double>(), 0) << "trained B is not zero";
  auto record = read_json(dir + "/remix_export.json");
  EXPECT_EQ(record["checkpoint"], runs().checkpoint_of.at("lora"));
  EXPECT_FALSE(record.contains("mixture"));
}

TEST(PeftExport, ReMixExpertsAreTheBanksSlicesWithOmegaFoldedIn) {
  auto dir = exported("remix");
  auto ckpt = checkpoint_tensors("remix");
  const auto A = ckpt.at("layers.0.ffn.adapter.gate.bank.A"), B = ckpt.at("layers.0.ffn.adapter.gate.bank.B");
  for (int e = 0; e < 3; ++e) {
    auto expert = fmt::format("{}/expert_{}", dir, e);
    model::SafetensorsFile file(expert + "/adapter_model.safetensors");
    const std::string gate = "base_model.model.model.layers.0.mlp.gate_proj.";
    EXPECT_TRUE(file.tensor(gate + "lora_A.weight").equal(A.narrow(0, 2 * e, 2)));
    EXPECT_TRUE(file.tensor(gate + "lora_B.weight").equal(B.narrow(1, 2 * e, 2)));
    // ω = lora_alpha/(k·r) = 1.5; PEFT scales by lora_alpha/r, so lora_alpha = ω·r = 3.
    EXPECT_DOUBLE_EQ(read_json(expert + "/adapter_config.json")["lora_alpha"].get<double>(), 3.0);
  }
  model::SafetensorsFile routers(dir + "/routers.safetensors");
  ASSERT_FALSE(names(routers).empty());
  for (const auto& name : names(routers)) EXPECT_TRUE(routers.tensor(name).equal(ckpt.at(name))) << name;
  auto mixture = read_json(dir + "/remix_export.json")["mixture"];
  EXPECT_EQ(mixture["router_plugin"], "remix");
  EXPECT_EQ(mixture["top_k"], 2);
  EXPECT_DOUBLE_EQ(mixture["adapter_scaling"].get<double>(), 1.5);
}

TEST(PeftExport, HydraHeadsShareTheOneAAndKeepLoraAlphaOverR) {
  auto dir = exported("hydra");
  auto ckpt = checkpoint_tensors("hydra");
  const auto A = ckpt.at("layers.0.attn.adapter.o.bank.A");
  ASSERT_EQ(A.size(0), 2) << "hydra's layout stores one A";
  for (int e = 0; e < 3; ++e) {
    auto expert = fmt::format("{}/expert_{}", dir, e);
    model::SafetensorsFile file(expert + "/adapter_model.safetensors");
    EXPECT_TRUE(file.tensor("base_model.model.model.layers.0.self_attn.o_proj.lora_A.weight").equal(A));
    EXPECT_DOUBLE_EQ(read_json(expert + "/adapter_config.json")["lora_alpha"].get<double>(), 6.0);
  }
  auto mixture = read_json(dir + "/remix_export.json")["mixture"];
  EXPECT_NE(mixture["weights"].get<std::string>().find("softmax"), std::string::npos) << mixture.dump();
  EXPECT_EQ(mixture["expert_layout"], "shared_a");
}

TEST(PeftExport, ByCheckpointFileGivesTheSameAdapters) {
  auto by_run = exported("remix");
  auto out = runs().dir.file("by-file");
  auto e = test::run_remix({"export", runs().checkpoint_of.at("remix"), "-o", out});
  ASSERT_EQ(e.exit_code, 0) << e.err;
  for (const auto* expert : {"expert_0", "expert_2"}) {
    model::SafetensorsFile a(fmt::format("{}/{}/adapter_model.safetensors", by_run, expert));
    model::SafetensorsFile b(fmt::format("{}/{}/adapter_model.safetensors", out, expert));
    ASSERT_EQ(names(a), names(b));
    for (const auto& name : names(a)) EXPECT_TRUE(a.tensor(name).equal(b.tensor(name))) << name;
  }
}

TEST(PeftExport, BadSourcesExitTwoNamingWhatIsWrong) {
  const auto& r = runs();
  struct Case {
    std::vector<std::string> args;
    std::string expected;
  };
  auto text = r.dir.write("notes.txt", "not a checkpoint");
  const std::vector<Case> cases = {
      {{"export", "99", "--db", r.db, "-o", r.dir.file("x")}, "no run with id 99"},
      {{"export", "ffffffff", "--db", r.db, "-o", r.dir.file("x")}, "no run key starts with 'ffffffff'"},
      {{"export", r.dir.file("absent.pt"), "-o", r.dir.file("x")}, "absent.pt"},
      {{"export", text, "-o", r.dir.file("x")}, "notes.txt"},
      {{"export", r.checkpoint_of.at("lora"), "--format", "gguf", "-o", r.dir.file("x")}, "--format"},
      {{"export", r.checkpoint_of.at("lora"), "-o", text}, "notes.txt: is a file, not a folder to export into"},
      {{"generate", "--checkpoint", r.checkpoint_of.at("lora"), "hello"}, "pass the model with --model"},
      {{"generate", "hello"}, "give --model PATH, --run DB RUN or --checkpoint FILE"},
  };
  for (const auto& c : cases) {
    auto out = test::run_remix(c.args);
    EXPECT_EQ(out.exit_code, 2) << c.args[1] << "\n" << out.err;
    EXPECT_NE(out.err.find(c.expected), std::string::npos) << c.expected << "\n" << out.err;
  }
  EXPECT_FALSE(fs::exists(r.dir.file("x"))) << "a refused export wrote nothing";
}

}  // namespace
}  // namespace remix::interop
