// `remix config FILE [overrides]`: the resolved config (every key, defaults filled) as YAML or JSON, with its
// trial key and any sweep axes; `remix config --schema` prints the table of core keys.
#include <fmt/core.h>
#include <fmt/ranges.h>  // fmt::join (fmt 11 keeps it here)
#include <fmt/format.h>

#include <memory>

#include "cli/commands.h"
#include "config/core_schema.h"
#include "config/resolved_config.h"
#include "plugin/registry.h"
#include "remix/errors.h"
#include "report/table.h"

namespace remix::cli {

namespace {

struct ConfigOptions {
  std::string file;
  std::vector<std::string> overrides;
  std::string format = "yaml";
  bool schema = false;
};

int print_config(const GlobalOptions& g, const ConfigOptions& o) {
  if (o.schema) {
    fmt::print("{}", report::render(report::table_from_params(config::core_schema()), report::TableFormat::Text));
    return 0;
  }
  if (o.file.empty()) throw UserError("remix config: a config FILE is required (or --schema)");
  auto parsed = config::parse_overrides(o.overrides);
  auto lookup = plugin::schema_lookup(g.plugin_paths);
  auto cfg = config::resolve(o.file, parsed.fixed, lookup);
  // Each value of a sweep axis must validate on its own.
  for (const auto& axis : parsed.axes)
    for (const auto& value : axis.values) {
      auto with = parsed.fixed;
      with.push_back(axis.with_value(value));
      config::resolve(o.file, with, lookup);
    }
  if (o.format == "json") {
    fmt::print("{}\n", cfg.tree().dump(2));
    return 0;
  }
  fmt::print("{}", config::to_yaml(cfg.tree()));
  fmt::print("# trial key: {}\n", cfg.trial_key());
  for (const auto& axis : parsed.axes)
    fmt::print("# sweep axis: {} = [{}]\n", axis.key(), fmt::join(axis.values, ", "));
  return 0;
}

}  // namespace

void add_config_command(CLI::App& app, const GlobalOptions& global, Action& action) {
  auto o = std::make_shared<ConfigOptions>();
  auto* cmd = app.add_subcommand("config", "print the resolved config of FILE with overrides applied");
  cmd->add_option("file", o->file, "experiment YAML");
  cmd->add_option("overrides", o->overrides, "key.path=value, +key.path=value, ~key.path; a=v1,v2 is a sweep axis");
  cmd->add_option("-f,--format", o->format, "output format")
      ->check(CLI::IsMember({"yaml", "json"}))
      ->capture_default_str();
  cmd->add_flag("--schema", o->schema, "print the table of core config keys instead");
  cmd->callback([o, &global, &action] { action = [o, &global] { return print_config(global, *o); }; });
}

}  // namespace remix::cli
