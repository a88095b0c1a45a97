// The four routers are real plugins in the build's plugin folder: `remix plugins` lists them and
// `remix plugins --describe` prints their parameter tables.
#include <gtest/gtest.h>

#include <regex>

#include "support/test_env.h"

namespace remix {
namespace {

TEST(RouterPlugins, RemixPluginsListsTheFourRouters) {
  auto r = test::run_command({test::remix_bin(), "plugins"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* name : {"remix", "softmax", "hydra", "lora"})
    EXPECT_TRUE(std::regex_search(
        r.out, std::regex(std::string("\\n") + name + " +router +1\\.0\\.0 +\\S*router_" + name + "\\.so +ok")))
        << name << " missing from:\n"
        << r.out;
}

TEST(RouterPlugins, DescribeRemixPrintsItsParameterTable) {
  auto r = test::run_command({test::remix_bin(), "plugins", "--describe", "remix"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* needle : {"router plugin 'remix' 1.0.0", "omega", "lora|rslora", "granularity", "token|sequence",
                             "inference", "topk|sample", "router_init", "normal|zeros", "router_init_range"})
    EXPECT_NE(r.out.find(needle), std::string::npos) << needle << " missing from:\n" << r.out;
  auto softmax = test::run_command({test::remix_bin(), "plugins", "--describe", "softmax"});
  for (const char* needle : {"router_aux_loss_coef", "0.001", "router_init_range", "0.02", "jitter_noise"})
    EXPECT_NE(softmax.out.find(needle), std::string::npos) << needle << " missing from:\n" << softmax.out;
}

}  // namespace
}  // namespace remix
