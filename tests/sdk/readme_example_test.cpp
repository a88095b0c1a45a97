// The README's out-of-tree router is the file the SDK test builds: every code line of
// examples/out_of_tree_router/random_router.cpp and its CMakeLists.txt appears in the README, so the
// documented example cannot drift from the tested one.
#include <gtest/gtest.h>

#include <sstream>

#include "support/test_env.h"

namespace remix {
namespace {

void expect_in_readme(const std::string& file) {
  std::string readme = test::read_file(test::source_dir() + "/README.md");
  std::istringstream in(test::read_file(test::source_dir() + "/examples/out_of_tree_router/" + file));
  std::string line;
  int checked = 0;
  while (std::getline(in, line)) {
    if (line.rfind("//", 0) == 0 || line.empty()) continue;  // the file's header comment is prose
    EXPECT_NE(readme.find(line), std::string::npos) << file << ": README lacks: " << line;
    ++checked;
  }
  EXPECT_GT(checked, 3);
}

TEST(ReadmeExample, RouterSourceMatchesTheTestedExample) { expect_in_readme("random_router.cpp"); }
TEST(ReadmeExample, CMakeListsMatchesTheTestedExample) { expect_in_readme("CMakeLists.txt"); }

}  // namespace
}  // namespace remix
