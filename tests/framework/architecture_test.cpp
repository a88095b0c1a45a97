// The layering of docs/architecture.md §1, checked on the sources: cli → sweep / trial → train → adapter → model,
// with store, config, plugin and common underneath, and no arrow back up. Every `#include "dir/..."` of a file in
// framework/src/<layer>/ must name its own layer, the SDK (remix/), or a layer this table lets it use.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <regex>
#include <set>

#include "support/test_env.h"

namespace remix {
namespace {

const std::map<std::string, std::set<std::string>> kMayUse = {
    {"common", {}},
    {"config", {"common"}},
    {"plugin", {"common", "config"}},
    {"store", {"common"}},
    {"model", {"common", "config"}},
    {"adapter", {"common", "config", "model"}},
    {"train", {"common", "config", "plugin", "store", "model", "adapter"}},
    {"trial", {"common", "config", "plugin", "store", "model", "adapter", "train"}},
    {"sweep", {"common", "config", "plugin", "store"}},
    {"report", {"common", "config", "store"}},
    {"preview", {"common", "config", "plugin", "store", "model", "adapter", "train", "trial"}},
    {"interop", {"common", "config", "plugin", "store", "model", "adapter", "train", "trial"}},
    {"cli", {"common", "config", "plugin", "store", "model", "adapter", "train", "trial", "sweep", "report", "preview",
             "interop"}},
};

TEST(Architecture, NoLayerIncludesOneAboveItOrBeside) {
  namespace fs = std::filesystem;
  const std::regex include(R"(#include\s+"([a-z_]+)/)");
  std::set<std::string> layers_seen;
  std::vector<std::string> violations;
  for (const auto& entry : fs::recursive_directory_iterator(test::source_dir() + "/framework/src")) {
    if (!entry.is_regular_file()) continue;
    auto rel = fs::relative(entry.path(), test::source_dir() + "/framework/src");
    if (rel.begin() == rel.end() || std::next(rel.begin()) == rel.end()) continue;  // pch.h at the top
    std::string layer = rel.begin()->string();
    layers_seen.insert(layer);
    auto allowed = kMayUse.find(layer);
    ASSERT_NE(allowed, kMayUse.end()) << "a layer the table does not know: " << layer;
    std::string text = test::read_file(entry.path().string());
    for (std::sregex_iterator m(text.begin(), text.end(), include), end; m != end; ++m) {
      std::string used = (*m)[1];
      if (used == layer || used == "remix" || allowed->second.count(used)) continue;
      violations.push_back(rel.string() + " includes " + used + "/");
    }
  }
  EXPECT_EQ(layers_seen.size(), kMayUse.size());
  EXPECT_TRUE(violations.empty()) << ::testing::PrintToString(violations);
}

}  // namespace
}  // namespace remix
