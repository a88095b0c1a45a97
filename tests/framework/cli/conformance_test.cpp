// `remix conformance`: the router conformance suite as a command. A router that keeps the contract passes all
// five checks; one that breaks it (padding leaking into its choice, overflowing weights) fails with exit code
// 1 and the checks it broke named; bad parameters and a site the router cannot serve exit 2.
#include <gtest/gtest.h>

#include "support/test_env.h"

namespace remix {
namespace {

test::CommandResult conformance(std::vector<std::string> args) {
  args.insert(args.begin(), {test::remix_bin(), "--plugin-path", test::test_plugin_dir(), "conformance"});
  return test::run_command(args);
}

TEST(Conformance, AContractKeepingRouterPassesEveryCheck) {
  auto r = conformance({"test_router", "offset=3", "--experts", "5", "--top-k", "2"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("5 of 5 checks passed"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("site layers.0.ffn: 5 experts, top-k 2"), std::string::npos) << r.out;
}

TEST(Conformance, AContractBreakingRouterFailsNamingTheChecks) {
  auto r = conformance({test::test_plugin_dir() + "/test_leaky_router.so"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("padding tokens changed the experts of valid tokens"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("weights not finite for inputs of +-1e4"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("FAIL"), std::string::npos) << r.out;
}

TEST(Conformance, BadParametersAndSitesExitTwo) {
  auto r = conformance({"test_router", "ofset=3"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("router plugin 'test_router' has no parameter 'ofset' (did you mean 'offset'?)"),
            std::string::npos)
      << r.err;
  r = conformance({"test_router", "offset=abc"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("'offset=abc': expected an integer"), std::string::npos) << r.err;
  r = conformance({"test_router", "--top-k", "9"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("adapter.top_k: must be between 1 and adapter.num_experts=8, got 9"), std::string::npos) << r.err;
  r = conformance({"test_task"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("is a task plugin"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace remix
