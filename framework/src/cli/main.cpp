// remix: the command-line entry point. Builds the CLI from the subcommand files, maps outcomes to exit
// codes (0 ok, 2 bad input or usage, 1 internal error), and never lets an exception escape silently.
#include <fmt/core.h>

#include <iostream>

#include "cli/commands.h"
#include "common/build_info.h"
#include "common/library_environment.h"
#include "common/machine.h"
#include "common/log.h"
#include "remix/errors.h"

int main(int argc, char** argv) {
  using namespace remix;
  reexec_with_library_environment(argv);
  CLI::App app{"remix: Mixture-of-LoRAs finetuning experiments (ReMix and learned-weight baselines)", "remix"};
  // The version and what the figures of a run depend on besides it: the CPU and the BLAS kernel.
  app.set_version_flag("--version", [] {
    return std::string(build_info::version()) + " (" + build_info::git_rev() +
           (build_info::git_dirty() ? ", dirty" : "") + ")\n" + machine::summary();
  });
  app.require_subcommand(1);
  // Usage errors read like every other error of remix: "error: <what>" (exit code 2).
  app.failure_message([](const CLI::App*, const CLI::Error& e) {
    return "error: " + std::string(e.what()) + "\nRun with --help for more information.\n";
  });
  app.fallthrough();
  cli::GlobalOptions global;
  app.add_option("--plugin-path", global.plugin_paths, "extra folder searched for plugins (repeatable)");
  app.add_flag("-q,--quiet", global.quiet, "only warnings and errors");
  app.add_flag("-v,--verbose", global.verbose, "debug output");

  cli::Action action;
  cli::add_run_command(app, global, action);
  cli::add_config_command(app, global, action);
  cli::add_data_command(app, global, action);
  cli::add_plugins_command(app, global, action);
  cli::add_conformance_command(app, global, action);
  cli::add_query_command(app, global, action);
  cli::add_worker_command(app, global, action);
  cli::add_slurm_command(app, global, action);
  cli::add_results_commands(app, global, action);
  cli::add_report_command(app, global, action);
  cli::add_preview_command(app, global, action);
  cli::add_db_command(app, global, action);
  cli::add_tokenize_command(app, global, action);
  cli::add_generate_command(app, global, action);
  cli::add_export_command(app, global, action);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);  // prints help, version, or the usage error
    return code == 0 ? 0 : 2;
  }
  log::set_level(global.quiet ? log::Level::Quiet : global.verbose ? log::Level::Debug : log::Level::Info);
  try {
    return action ? action() : 0;
  } catch (const UserError& e) {
    fmt::print(stderr, "error: {}\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    fmt::print(stderr, "internal error: {}\n", e.what());
    return 1;
  }
}
