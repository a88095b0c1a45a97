// The table of base-model sources: its rows are the values the schema accepts for base.source; each row tells
// a trial's tokenizer and context length without loading weights; `checkpoint` and `llama2c` load their files
// (stories260K among them) and refuse a file of another shape or a tokenizer of another vocabulary naming the
// files; a source missing its file keys names those keys.
#include <gtest/gtest.h>

#include <cstring>

#include "config/core_schema.h"
#include "config/resolved_config.h"
#include "model/checkpoint.h"
#include "plugin/registry.h"
#include "remix/errors.h"
#include "store/results_store.h"
#include "support/models.h"
#include "support/test_env.h"
#include "trial/base_sources.h"

namespace remix::trial {
namespace {

config::ResolvedConfig resolve_with(const test::TempDir& dir, const std::vector<std::string>& overrides) {
  auto file = dir.write("exp.yaml", "router: {plugin: test_router}\ntasks: {add: {plugin: test_task}}\n");
  return config::resolve(file, config::parse_overrides(overrides).fixed,
                         plugin::schema_lookup({test::test_plugin_dir()}));
}

// A base from `overrides` as a trial obtains it (the store is there for pretraining; loading ignores it).
BaseModel obtain(const test::TempDir& dir, const std::vector<std::string>& overrides) {
  auto cfg = resolve_with(dir, overrides);
  train::TaskSet tasks(cfg);
  auto store = store::open_store(dir.file("r.db"), store::Access::Create);
  return obtain_base_model({cfg, tasks, *store});
}

TEST(BaseSources, TheTableIsWhatTheSchemaAcceptsForBaseSource) {
  const ParamSpec* spec = config::find_core_spec("base.source");
  ASSERT_NE(spec, nullptr);
  std::vector<std::string> names;
  for (const auto& s : base_model_sources()) names.push_back(s.name);
  std::string choices;
  for (const auto& n : names) choices += (choices.empty() ? "" : "|") + n;
  EXPECT_EQ(choices, spec->choices);
  EXPECT_EQ(std::string(spec->default_value), names.front());
}

TEST(BaseSources, LoadsARemixCheckpointOfTheConfiguredShape) {
  test::TempDir dir;
  auto options = test::tiny_options();
  auto model = test::tiny_model(3);
  model::save_checkpoint(dir.file("base.pt"), *model, model::base_model_config(options, "byte"));
  std::vector<std::string> shape = {"model.dim=32",       "model.n_layers=2", "model.n_heads=4",
                                    "model.n_kv_heads=2", "model.ffn_dim=48", "model.max_seq_len=64"};
  auto with = [&](std::vector<std::string> extra) {
    extra.insert(extra.end(), shape.begin(), shape.end());
    return extra;
  };
  auto loaded = obtain(dir, with({"base.source=checkpoint", "base.path=" + dir.file("base.pt")}));
  auto tokens = torch::randint(0, 259, {1, 5});
  EXPECT_TRUE(torch::equal(loaded.model->forward(tokens), model->forward(tokens)));
  EXPECT_EQ(loaded.tokenizer->kind(), "byte");
  EXPECT_EQ(loaded.tags.at("base.source"), "checkpoint");
  EXPECT_EQ(loaded.tags.at("base.file"), dir.file("base.pt"));
  for (const auto& p : loaded.model->base_parameters()) EXPECT_FALSE(p.requires_grad());  // frozen

  auto msg = test::error_message<UserError>(
      [&] { obtain(dir, {"base.source=checkpoint", "base.path=" + dir.file("base.pt")}); });
  EXPECT_NE(msg.find("model.dim: checkpoint 32, asked for 128"), std::string::npos) << msg;
}

TEST(BaseSources, MissingFileKeysAreNamed) {
  test::TempDir dir;
  auto shape_error = [&](const std::vector<std::string>& overrides) {
    return test::error_message<UserError>([&] {
      auto cfg = resolve_with(dir, overrides);
      base_model_source(cfg).shape(cfg);
    });
  };
  EXPECT_NE(shape_error({"base.source=checkpoint"}).find("base.path: base.source is checkpoint"), std::string::npos);
  EXPECT_NE(shape_error({"base.source=llama2c", "base.path=x.bin"}).find("base.tokenizer: base.source is llama2c"),
            std::string::npos);
  EXPECT_NE(shape_error({"base.source=checkpoint", "base.path=" + dir.file("a.pt"), "model.tokenizer=bpe"})
                .find("base.tokenizer: model.tokenizer is bpe"),
            std::string::npos);
}

TEST(BaseSources, Stories260KGivesItsShapeWithoutLoadingAndLoadsFromConfig) {
  REMIX_REQUIRE_SHARED(shared);
  test::TempDir dir;
  auto stories = shared + "/models/stories260K/";
  std::vector<std::string> overrides = {"base.source=llama2c", "base.path=" + stories + "stories260K.bin",
                                        "base.tokenizer=" + stories + "tok512.bin"};
  auto cfg = resolve_with(dir, overrides);
  auto shape = base_model_source(cfg).shape(cfg);
  EXPECT_EQ(shape.tokenizer->kind(), "bpe");  // the model's own tokenizer, whatever model.tokenizer says
  EXPECT_EQ(shape.context_length, 512);       // the header's, not model.max_seq_len
  auto loaded = obtain(dir, overrides);
  EXPECT_EQ(loaded.model->options().vocab_size(), 512);
  EXPECT_EQ(loaded.tokenizer->kind(), "bpe");
  EXPECT_EQ(loaded.tags.at("base.source"), "llama2c");
}

TEST(BaseSources, RealModelWithTheWrongTokenizerIsRefusedNamingBothFiles) {
  REMIX_REQUIRE_SHARED(shared);
  test::TempDir dir;
  // A llama2.c tokenizer.bin of 20 one-byte tokens.
  std::string bytes(4, '\0');
  std::int32_t max_len = 8;
  std::memcpy(bytes.data(), &max_len, 4);
  for (int i = 0; i < 20; ++i) {
    float score = static_cast<float>(-i);
    std::int32_t len = 1;
    bytes.append(reinterpret_cast<const char*>(&score), 4).append(reinterpret_cast<const char*>(&len), 4);
    bytes.push_back(static_cast<char>('a' + i));
  }
  auto tok = dir.write("tok.bin", bytes);
  auto model = shared + "/models/stories260K/stories260K.bin";
  auto msg = test::error_message<DataError>(
      [&] { obtain(dir, {"base.source=llama2c", "base.path=" + model, "base.tokenizer=" + tok}); });
  EXPECT_NE(msg.find("tokenizer " + tok + " has 20 tokens but checkpoint " + model + " has a vocabulary of 512"),
            std::string::npos)
      << msg;
}

}  // namespace
}  // namespace remix::trial
