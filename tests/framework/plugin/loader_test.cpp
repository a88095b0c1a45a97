// The plugin loader on real shared libraries built by this project: a good router and task, and libraries
// broken on purpose (other ABI version, other fingerprint, no entry point, a throwing factory, not an ELF
// file). Every failure must be a PluginError naming the .so.
#include <gtest/gtest.h>

#include <dlfcn.h>

#include <cstdlib>

#include "plugin/library.h"
#include "plugin/registry.h"
#include "remix/errors.h"
#include "support/test_env.h"

namespace remix::plugin {
namespace {

std::string so(const std::string& name) { return test::test_plugin_dir() + "/" + name + ".so"; }

std::string error_of(const std::function<void()>& fn) { return test::error_message<PluginError>(fn); }

TEST(PluginLibrary, LoadsGoodRouterAndItsSchema) {
  auto lib = PluginLibrary::open(so("test_router"));
  EXPECT_EQ(lib->name(), "test_router");
  EXPECT_EQ(lib->kind(), PluginKind::Router);
  EXPECT_EQ(lib->version(), "0.1.0");
  auto schema = lib->schema();
  ASSERT_EQ(schema.params.size(), 5u);
  EXPECT_STREQ(schema.params[0].name, "offset");
  EXPECT_EQ(schema.params[0].max, 1000);
  EXPECT_EQ(lib->sha256().size(), 64u);
}

TEST(PluginLibrary, ObjectsKeepTheLibraryLoadedAndWork) {
  std::shared_ptr<Router> router;
  {
    auto lib = PluginLibrary::open(so("test_router"));
    Params p;
    p.set("offset", std::int64_t{1});
    p.set("weight", 1.0);
    p.set("mode", std::string("cyclic"));
    RouterContext ctx;
    ctx.num_experts = 4;
    ctx.top_k = 2;
    router = lib->create_router(p, ctx);
  }  // the library handle is gone; the router must still hold the library
  void* handle = dlopen(so("test_router").c_str(), RTLD_NOW | RTLD_NOLOAD);
  ASSERT_NE(handle, nullptr) << "library unloaded while an object it made is alive";
  dlclose(handle);
  RouteInput in;
  in.x = torch::zeros({2, 3, 8});
  auto out = router->route(in);
  EXPECT_EQ(out.experts.sizes(), (std::vector<int64_t>{2, 3, 2}));
  EXPECT_EQ(out.experts[0][2][0].item<int64_t>(), 3);  // token 2 + offset 1
  EXPECT_EQ(out.experts[0][2][1].item<int64_t>(), 0);  // wraps around n = 4
  EXPECT_NEAR(out.weights.sum(-1).mean().item<double>(), 1.0, 1e-6);
}

TEST(PluginLibrary, RefusesOtherAbiVersionShowingBoth) {
  std::string msg = error_of([] { PluginLibrary::open(so("test_wrong_abi")); });
  EXPECT_NE(msg.find(so("test_wrong_abi")), std::string::npos) << msg;
  EXPECT_NE(msg.find("plugin ABI version 42"), std::string::npos) << msg;
  EXPECT_NE(msg.find("this remix's ABI version " + std::to_string(REMIX_PLUGIN_ABI_VERSION)), std::string::npos) << msg;
}

TEST(PluginLibrary, RefusesOtherFingerprintShowingBoth) {
  std::string msg = error_of([] { PluginLibrary::open(so("test_wrong_fingerprint")); });
  EXPECT_NE(msg.find(so("test_wrong_fingerprint")), std::string::npos) << msg;
  EXPECT_NE(msg.find("sdk=0.0;torch=0.4;cxx11abi=0;compiler=gcc-4"), std::string::npos) << msg;
  EXPECT_NE(msg.find(host_fingerprint()), std::string::npos) << msg;
}

TEST(PluginLibrary, RefusesLibraryWithoutEntryPoint) {
  std::string msg = error_of([] { PluginLibrary::open(so("test_no_entry")); });
  EXPECT_NE(msg.find(so("test_no_entry") + " is not a remix plugin"), std::string::npos) << msg;
}

TEST(PluginLibrary, RefusesMissingFileAndNonLibrary) {
  EXPECT_NE(error_of([] { PluginLibrary::open("/nonexistent/x.so"); }).find("not found: /nonexistent/x.so"),
            std::string::npos);
  test::TempDir dir;
  std::string fake = dir.write("fake.so", std::string(4096, 'x'));
  std::string msg = error_of([&] { PluginLibrary::open(fake); });
  EXPECT_NE(msg.find("cannot load plugin " + fake), std::string::npos) << msg;
  EXPECT_NE(msg.find("header"), std::string::npos) << msg;  // dlopen's own reason ("invalid ELF header")
}

TEST(PluginLibrary, ThrowingFactoryBecomesPluginErrorNamingThePlugin) {
  auto lib = PluginLibrary::open(so("test_throwing_task"));
  Params p;
  p.set("path", std::string("/data/missing.jsonl"));
  std::string msg = error_of([&] { lib->create_task(p, TaskContext{}); });
  EXPECT_NE(msg.find("task plugin 'throwing_task'"), std::string::npos) << msg;
  EXPECT_NE(msg.find(so("test_throwing_task")), std::string::npos) << msg;
  EXPECT_NE(msg.find("cannot open data file /data/missing.jsonl"), std::string::npos) << msg;
}

TEST(PluginLibrary, WrongKindIsRefused) {
  auto lib = PluginLibrary::open(so("test_router"));
  EXPECT_NE(error_of([&] { lib->create_task(Params{}, TaskContext{}); }).find("is a router plugin, not a task"),
            std::string::npos);
}

TEST(PluginRegistry, ScanListsGoodAndBrokenLibraries) {
  PluginRegistry reg({test::test_plugin_dir()});
  int good = 0, broken = 0;
  for (const auto& e : reg.scan()) {
    if (e.library) {
      ++good;
    } else {
      ++broken;
      EXPECT_FALSE(e.error.empty());
    }
  }
  // test_router, test_task, test_throwing_task (its factory fails only when called), test_leaky_router (loads
  // fine; the conformance suite fails it), test_counting_router
  EXPECT_EQ(good, 5);
  EXPECT_EQ(broken, 3);  // wrong ABI, wrong fingerprint, no entry point
}

TEST(PluginRegistry, FindsByNameAndSuggestsOnTypo) {
  PluginRegistry reg({test::test_plugin_dir()});
  EXPECT_EQ(reg.find(PluginKind::Router, "test_router")->name(), "test_router");
  EXPECT_EQ(reg.find(PluginKind::Task, "test_task")->kind(), PluginKind::Task);
  std::string msg = error_of([&] { reg.find(PluginKind::Router, "test_ruoter"); });
  EXPECT_NE(msg.find("did you mean 'test_router'?"), std::string::npos) << msg;
  EXPECT_NE(msg.find("searched: " + test::test_plugin_dir()), std::string::npos) << msg;
  EXPECT_NE(msg.find("unreadable:"), std::string::npos) << msg;  // the broken libraries are mentioned
  msg = error_of([&] { reg.find(PluginKind::Task, "test_router"); });
  EXPECT_NE(msg.find("is a router plugin, but a task plugin is needed"), std::string::npos) << msg;
}

TEST(PluginRegistry, SearchPathOrderIsConfigThenEnvironmentThenDefaults) {
  std::vector<std::string> dirs;
  {
    test::ScopedEnv env("REMIX_PLUGIN_PATH", "/env/a:/env/b");
    dirs = search_path({"/cfg"});
  }
  ASSERT_GE(dirs.size(), 4u);
  EXPECT_EQ(dirs[0], "/cfg");
  EXPECT_EQ(dirs[1], "/env/a");
  EXPECT_EQ(dirs[2], "/env/b");
}

}  // namespace
}  // namespace remix::plugin
