// The subcommands of `remix`. Each lives in its own file and registers itself on the CLI11 app: its options
// are declared once, and that one declaration drives parsing, `--help` and validation. Parsing only fills
// an options struct; the command runs after parsing succeeded, through the returned action.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <string>
#include <vector>

namespace remix::cli {

using Action = std::function<int()>;

// Options every subcommand shares.
struct GlobalOptions {
  std::vector<std::string> plugin_paths;  // --plugin-path, searched before the config's plugin_paths
  bool quiet = false;
  bool verbose = false;
};

void add_run_command(CLI::App& app, const GlobalOptions& global, Action& action);
void add_config_command(CLI::App& app, const GlobalOptions& global, Action& action);
void add_plugins_command(CLI::App& app, const GlobalOptions& global, Action& action);
void add_query_command(CLI::App& app, const GlobalOptions& global, Action& action);
void add_results_commands(CLI::App& app, const GlobalOptions& global, Action& action);  // results and runs
void add_data_command(CLI::App& app, const GlobalOptions& global, Action& action);
void add_report_command(CLI::App& app, const GlobalOptions& global, Action& action);
void add_slurm_command(CLI::App& app, const GlobalOptions& global, Action& action);
void add_worker_command(CLI::App& app, const GlobalOptions& global, Action& action);  // and the hidden `trial`
void add_conformance_command(CLI::App& app, const GlobalOptions& global, Action& action);
void add_preview_command(CLI::App& app, const GlobalOptions& global, Action& action);
void add_db_command(CLI::App& app, const GlobalOptions& global, Action& action);  // db copy
void add_tokenize_command(CLI::App& app, const GlobalOptions& global, Action& action);
void add_generate_command(CLI::App& app, const GlobalOptions& global, Action& action);
void add_export_command(CLI::App& app, const GlobalOptions& global, Action& action);

}  // namespace remix::cli
