// `remix db copy SRC DST`: copies a whole results database between a SQLite file and a PostgreSQL server,
// either direction (store/store_copy.h), and prints the rows of each table it copied (counts verified).
#include <fmt/core.h>

#include <memory>

#include "cli/commands.h"
#include "report/table.h"
#include "store/results_store.h"
#include "store/store_copy.h"

namespace remix::cli {

namespace {

struct CopyOptions {
  std::string source, destination;
};

int copy_database(const CopyOptions& o) {
  auto copied = store::copy_store(o.source, o.destination);
  report::Table t;
  t.columns = {"table", "rows"};
  for (const auto& [table, rows] : copied) t.rows.push_back({table, rows});
  fmt::print("{}copied {} -> {}; every table's rows counted again in both\n",
             report::render(t, report::TableFormat::Text), store::redact_location(o.source),
             store::redact_location(o.destination));
  return 0;
}

}  // namespace

void add_db_command(CLI::App& app, const GlobalOptions&, Action& action) {
  auto* db = app.add_subcommand("db", "manage results databases");
  db->require_subcommand(1);
  auto o = std::make_shared<CopyOptions>();
  auto* copy = db->add_subcommand("copy", "copy a whole results database between SQLite and PostgreSQL");
  copy->add_option("source", o->source, "SQLite file or postgresql:// URI to copy from")->required();
  copy->add_option("destination", o->destination, "a new SQLite file or an empty PostgreSQL database")->required();
  copy->callback([o, &action] { action = [o] { return copy_database(*o); }; });
}

}  // namespace remix::cli
