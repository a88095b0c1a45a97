// remix checkpoints and the base-model loader: a round trip restores every tensor exactly; a checkpoint of
// another shape is refused naming the file and every differing model.* key with both values; a file that is
// not a checkpoint is refused naming it; base.source settings missing their file keys name those keys.
#include <gtest/gtest.h>

#include "config/resolved_config.h"
#include "model/base_model.h"
#include "model/checkpoint.h"
#include "plugin/registry.h"
#include "remix/errors.h"
#include "support/models.h"
#include "support/test_env.h"

namespace remix::model {
namespace {

TEST(Checkpoint, RoundTripRestoresEveryTensor) {
  test::TempDir dir;
  auto a = test::tiny_model(1);
  auto config = base_model_config(a->options(), "byte");
  save_checkpoint(dir.file("a.pt"), *a, config);
  EXPECT_EQ(read_checkpoint_config(dir.file("a.pt")), config);
  auto b = test::tiny_model(2);
  load_checkpoint(dir.file("a.pt"), *b, config);
  auto pa = a->named_parameters(), pb = b->named_parameters();
  ASSERT_EQ(pa.size(), pb.size());
  for (const auto& item : pa) EXPECT_TRUE(torch::equal(item.value(), pb[item.key()])) << item.key();
  auto tokens = torch::randint(0, 259, {2, 9});
  EXPECT_TRUE(torch::equal(a->forward(tokens), b->forward(tokens)));
}

TEST(Checkpoint, OtherConfigIsRefusedNamingFileAndEveryDifferingKey) {
  test::TempDir dir;
  auto small = test::tiny_model(1);
  save_checkpoint(dir.file("small.pt"), *small, base_model_config(small->options(), "byte"));
  auto bigger_options = test::tiny_options().dim(64).n_layers(3);
  Transformer bigger(bigger_options);
  auto msg = test::error_message<UserError>(
      [&] { load_checkpoint(dir.file("small.pt"), *bigger, base_model_config(bigger_options, "byte")); });
  EXPECT_NE(msg.find("checkpoint " + dir.file("small.pt") + " was written for another configuration"),
            std::string::npos)
      << msg;
  EXPECT_NE(msg.find("model.dim: checkpoint 32, asked for 64"), std::string::npos) << msg;
  EXPECT_NE(msg.find("model.n_layers: checkpoint 2, asked for 3"), std::string::npos) << msg;
  EXPECT_EQ(msg.find("model.n_heads"), std::string::npos) << msg;  // equal keys are not listed
}

TEST(Checkpoint, NotACheckpointIsRefusedNamingIt) {
  test::TempDir dir;
  auto path = dir.write("junk.pt", "this is not a zip file");
  auto model = test::tiny_model(1);
  EXPECT_NE(test::error_message<UserError>([&] {
              load_checkpoint(path, *model, {});
            }).find(path + " is not a remix checkpoint"),
            std::string::npos);
  EXPECT_NE(test::error_message<UserError>([&] {
              read_checkpoint_config(dir.file("none.pt"));
            }).find("cannot open checkpoint"),
            std::string::npos);
}

config::ResolvedConfig resolve_with(const test::TempDir& dir, const std::vector<std::string>& overrides) {
  auto file = dir.write("exp.yaml", "router: {plugin: test_router}\ntasks: {add: {plugin: test_task}}\n");
  return config::resolve(file, config::parse_overrides(overrides).fixed,
                         plugin::schema_lookup({test::test_plugin_dir()}));
}

TEST(BaseModel, LoadsARemixCheckpointOfTheConfiguredShape) {
  test::TempDir dir;
  auto options = test::tiny_options();
  auto model = test::tiny_model(3);
  save_checkpoint(dir.file("base.pt"), *model, base_model_config(options, "byte"));
  std::vector<std::string> shape = {"model.dim=32",       "model.n_layers=2", "model.n_heads=4",
                                    "model.n_kv_heads=2", "model.ffn_dim=48", "model.max_seq_len=64"};
  auto with = [&](std::vector<std::string> extra) {
    extra.insert(extra.end(), shape.begin(), shape.end());
    return extra;
  };
  auto loaded =
      load_base_model(resolve_with(dir, with({"base.source=checkpoint", "base.path=" + dir.file("base.pt")})));
  auto tokens = torch::randint(0, 259, {1, 5});
  EXPECT_TRUE(torch::equal(loaded.model->forward(tokens), model->forward(tokens)));
  EXPECT_EQ(loaded.tokenizer->kind(), "byte");

  auto msg = test::error_message<UserError>([&] {
    load_base_model(resolve_with(dir, {"base.source=checkpoint", "base.path=" + dir.file("base.pt")}));
  });
  EXPECT_NE(msg.find("model.dim: checkpoint 32, asked for 128"), std::string::npos) << msg;
}

TEST(BaseModel, MissingFileKeysAreNamed) {
  test::TempDir dir;
  EXPECT_NE(test::error_message<UserError>([&] {
              load_base_model(resolve_with(dir, {"base.source=checkpoint"}));
            }).find("base.path:"),
            std::string::npos);
  EXPECT_NE(test::error_message<UserError>([&] {
              load_base_model(resolve_with(dir, {"base.source=llama2c", "base.path=x.bin"}));
            }).find("base.tokenizer: base.source is llama2c"),
            std::string::npos);
  EXPECT_NE(test::error_message<UserError>([&] {
              load_base_model(resolve_with(
                  dir, {"base.source=checkpoint", "base.path=" + dir.file("a.pt"), "model.tokenizer=bpe"}));
            }).find("base.tokenizer: model.tokenizer is bpe"),
            std::string::npos);
}

TEST(BaseModel, LoadsStories260KFromConfig) {
  REMIX_REQUIRE_SHARED(shared);
  test::TempDir dir;
  auto stories = shared + "/models/stories260K/";
  auto loaded = load_base_model(resolve_with(dir, {"base.source=llama2c", "base.path=" + stories + "stories260K.bin",
                                                   "base.tokenizer=" + stories + "tok512.bin"}));
  EXPECT_EQ(loaded.model->options().vocab_size(), 512);
  EXPECT_EQ(loaded.tokenizer->kind(), "bpe");
}

}  // namespace
}  // namespace remix::model
