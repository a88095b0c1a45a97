// `remix conformance PLUGIN [key=value ...]`: runs the router conformance suite (adapter/router_conformance.h)
// on a router plugin, with its parameters at their defaults or as given, at a site of the given shape; prints
// each check and exits 0 when all pass, 1 when one fails (2 for bad input). The installed SDK's
// remix_add_router_conformance_test(TARGET) makes a CTest test of exactly this command.
#include <fmt/core.h>

#include <memory>

#include "adapter/router_conformance.h"
#include "cli/commands.h"
#include "common/text.h"
#include "config/typed_value.h"
#include "plugin/registry.h"
#include "remix/errors.h"
#include "report/table.h"

namespace remix::cli {

namespace {

struct ConformanceOptions {
  std::string plugin;
  std::vector<std::string> params;
  std::int64_t experts = 8, top_k = 2, rank = 4, dim = 16;
  double lora_alpha = 8;
};

// The plugin's defaults with `key=value` settings applied, each typed and checked by the plugin's table.
Params router_params(const plugin::PluginLibrary& lib, const std::vector<std::string>& settings) {
  Params params = lib.default_params();
  auto specs = lib.schema().params;
  std::vector<std::string> names;
  for (const auto& s : specs) names.push_back(s.name);
  for (const auto& setting : settings) {
    auto eq = setting.find('=');
    if (eq == std::string::npos || eq == 0)
      throw UserError(fmt::format("'{}': expected key=value, a parameter of router plugin '{}'", setting, lib.name()));
    auto key = setting.substr(0, eq);
    const ParamSpec* spec = nullptr;
    for (const auto& s : specs)
      if (key == s.name) spec = &s;
    if (!spec)
      throw UserError(fmt::format("'{}': router plugin '{}' has no parameter '{}'{}; it has: {}", setting, lib.name(),
                                  key, text::did_you_mean(key, names), names.empty() ? "none" : text::join(names, ", ")));
    nlohmann::json value;
    config::Origin origin;
    origin.override_text = setting;
    auto node = config::parse_yaml_text(setting.substr(eq + 1), origin);
    auto error = config::to_typed_json(*spec, node, value);
    if (!error.empty()) throw UserError(fmt::format("'{}': {}", setting, error));
    params.set(key, config::to_param_value(*spec, value));
  }
  return params;
}

int run_conformance(const GlobalOptions& g, const ConformanceOptions& o) {
  plugin::PluginRegistry registry(plugin::search_path(g.plugin_paths));
  auto lib = registry.find(PluginKind::Router, o.plugin);
  adapter::RouterSource source{lib->name(), lib->router_traits(), lib->router_factory(router_params(*lib, o.params))};
  auto options = adapter::MixtureOptions()
                     .num_experts(o.experts)
                     .top_k(o.top_k)
                     .r(o.rank)
                     .lora_alpha(o.lora_alpha)
                     .router_name(lib->name())
                     .fitted_to(source.traits);
  auto site = options.router_context(*options.scope() == RouterScope::Module ? "layers.0.up" : "layers.0.ffn", o.dim);
  auto checks = adapter::check_router_conformance(source, site);

  fmt::print("router plugin '{}' {} ({})\nsite {}: {} experts, top-k {}, rank {}, lora_alpha {}, {} features\n\n",
             lib->name(), lib->version(), lib->path(), site.site, o.experts, o.top_k, o.rank, o.lora_alpha, o.dim);
  report::Table t;
  t.columns = {"check", "result", "what failed"};
  std::size_t passed = 0;
  for (const auto& c : checks) {
    passed += c.failures.empty();
    if (c.failures.empty()) t.rows.push_back({c.name, "pass", ""});
    for (std::size_t i = 0; i < c.failures.size(); ++i) t.rows.push_back({i ? "" : c.name, i ? "" : "FAIL", c.failures[i]});
  }
  fmt::print("{}\n{} of {} checks passed\n", report::render(t, report::TableFormat::Text), passed, checks.size());
  return passed == checks.size() ? 0 : 1;
}

}  // namespace

void add_conformance_command(CLI::App& app, const GlobalOptions& global, Action& action) {
  auto o = std::make_shared<ConformanceOptions>();
  auto* cmd = app.add_subcommand("conformance", "run the router conformance suite on a router plugin (name or .so)");
  cmd->add_option("plugin", o->plugin, "router plugin: a name on the search path, or a path to its .so")->required();
  cmd->add_option("params", o->params, "key=value: the plugin's parameters (defaults otherwise)");
  cmd->add_option("--experts", o->experts, "experts at the site (n)")->check(CLI::Range(1, 1024))->capture_default_str();
  cmd->add_option("--top-k", o->top_k, "experts active per token (k)")->check(CLI::Range(1, 1024))->capture_default_str();
  cmd->add_option("--rank", o->rank, "LoRA rank of each expert (r)")->check(CLI::Range(1, 4096))->capture_default_str();
  cmd->add_option("--lora-alpha", o->lora_alpha, "LoRA alpha")->check(CLI::Range(0.0, 1e6))->capture_default_str();
  cmd->add_option("--dim", o->dim, "features of the site input")->check(CLI::Range(1, 65536))->capture_default_str();
  cmd->callback([o, &global, &action] { action = [o, &global] { return run_conformance(global, *o); }; });
}

}  // namespace remix::cli
