// Every ready experiment under experiments/ expands and validates against the real plugins (a dry run from the
// repository root, as the README runs them): a renamed key or plugin parameter breaks this test, not a
// researcher's sweep an hour in.
#include <gtest/gtest.h>

#include <filesystem>

#include "support/test_env.h"

namespace remix {
namespace {

namespace fs = std::filesystem;

TEST(Experiments, EveryExperimentFileExpandsAndValidates) {
  int checked = 0;
  for (const auto& e : fs::recursive_directory_iterator(test::source_dir() + "/experiments")) {
    if (e.path().extension() != ".yaml" || e.path().filename() == "common.yaml") continue;  // common: included only
    auto r = test::run_command({test::remix_bin(), "run", e.path().string(), "--dry-run"}, {}, test::source_dir());
    EXPECT_EQ(r.exit_code, 0) << e.path() << "\n" << r.err;
    EXPECT_NE(r.out.find(" to run (database "), std::string::npos) << e.path() << "\n" << r.out;
    ++checked;
  }
  EXPECT_GE(checked, 14);  // quickstart, compare, multitask_preview, the nine ablations and two calibration runs
}

}  // namespace
}  // namespace remix
