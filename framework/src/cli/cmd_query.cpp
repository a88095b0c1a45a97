// `remix query DB "SQL"`: read-only SQL over a results database, printed as a table, CSV, JSON or Markdown.
#include <fmt/core.h>

#include <memory>

#include "cli/commands.h"
#include "report/table.h"
#include "store/query.h"

namespace remix::cli {

namespace {

struct QueryOptions {
  std::string db, sql, format = "table";
};

int run_query(const QueryOptions& o) {
  auto table = report::table_from_query(store::query_readonly(o.db, o.sql));
  fmt::print("{}", report::render(table, report::parse_table_format(o.format)));
  return 0;
}

}  // namespace

void add_query_command(CLI::App& app, const GlobalOptions&, Action& action) {
  auto o = std::make_shared<QueryOptions>();
  auto* cmd = app.add_subcommand("query", "run read-only SQL on a results database");
  cmd->add_option("db", o->db, "results database file")->required();
  cmd->add_option("sql", o->sql, "SQL; statements that write are refused")->required();
  cmd->add_option("-f,--format", o->format, "output format")
      ->check(CLI::IsMember({"table", "markdown", "csv", "json"}))
      ->capture_default_str();
  cmd->callback([o, &action] { action = [o] { return run_query(*o); }; });
}

}  // namespace remix::cli
