// `remix plugins`: what the plugin search path holds (name, kind, version, path, or why a library is
// unusable); `remix plugins --describe NAME` prints one plugin's parameter table.
#include <fmt/core.h>
#include <fmt/ranges.h>  // fmt::join (fmt 11 keeps it here)

#include <memory>

#include "cli/commands.h"
#include "plugin/registry.h"
#include "remix/errors.h"
#include "report/table.h"

namespace remix::cli {

namespace {

struct PluginsOptions {
  std::string describe, format = "table";
};

int describe_plugin(plugin::PluginRegistry& registry, const std::string& name, report::TableFormat format) {
  auto lib = registry.find_any(name);
  const auto& d = lib->descriptor();
  fmt::print("{} plugin '{}' {}: {}\npath: {}\n\n", plugin_kind_name(d.kind), d.name, d.version,
             d.summary ? d.summary : "", lib->path());
  fmt::print("{}", report::render(report::table_from_params(lib->schema().params), format));
  return 0;
}

int list_plugins(const GlobalOptions& g, const PluginsOptions& o) {
  plugin::PluginRegistry registry(plugin::search_path(g.plugin_paths));
  auto format = report::parse_table_format(o.format);
  if (!o.describe.empty()) return describe_plugin(registry, o.describe, format);
  report::Table t;
  t.columns = {"name", "kind", "version", "path", "status"};
  for (const auto& e : registry.scan()) {
    if (e.library)
      t.rows.push_back({e.library->name(), plugin_kind_name(e.library->kind()), e.library->version(), e.path,
                        e.shadowed ? "shadowed by an earlier folder" : "ok"});
    else
      t.rows.push_back({"", "", "", e.path, "unusable: " + e.error});
  }
  fmt::print("{}", report::render(t, format));
  if (format == report::TableFormat::Text)
    fmt::print("\nsearched: {}\n", fmt::join(registry.dirs(), ", "));
  return 0;
}

}  // namespace

void add_plugins_command(CLI::App& app, const GlobalOptions& global, Action& action) {
  auto o = std::make_shared<PluginsOptions>();
  auto* cmd = app.add_subcommand("plugins", "list the router and task plugins on the search path");
  cmd->add_option("--describe", o->describe, "print the parameter table of the plugin with this name or path");
  cmd->add_option("-f,--format", o->format, "output format")
      ->check(CLI::IsMember({"table", "markdown", "csv", "json"}))
      ->capture_default_str();
  cmd->callback([o, &global, &action] { action = [o, &global] { return list_plugins(global, *o); }; });
}

}  // namespace remix::cli
