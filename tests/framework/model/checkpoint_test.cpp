// remix checkpoints: a round trip restores every tensor exactly; a checkpoint of another shape is refused
// naming the file and every differing model.* key with both values; a file that is not a checkpoint is refused
// naming it. (Loading one as a trial's base: tests/framework/trial/base_sources_test.cpp.)
#include <gtest/gtest.h>

#include "model/checkpoint.h"
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

}  // namespace
}  // namespace remix::model
