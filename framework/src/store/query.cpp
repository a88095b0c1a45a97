// Read-only queries (see query.h).
#include "store/query.h"

#include <fmt/format.h>

#include "common/text.h"
#include "remix/errors.h"
#include "store/schema.h"

namespace remix::store {

namespace {

// Splits `sql` into single statements using SQLite's own parser.
std::vector<std::string> statements(sqlite3* db, const std::string& sql, const std::string& path) {
  std::vector<std::string> out;
  const char* rest = sql.c_str();
  while (*rest) {
    sqlite3_stmt* st = nullptr;
    const char* tail = nullptr;
    if (sqlite3_prepare_v2(db, rest, -1, &st, &tail) != SQLITE_OK)
      throw StoreError(fmt::format("{}: SQL error: {}", path, sqlite3_errmsg(db)));
    if (st) out.emplace_back(rest, static_cast<std::size_t>(tail - rest));
    sqlite3_finalize(st);
    rest = tail;
  }
  if (out.empty()) throw StoreError("empty SQL statement");
  return out;
}

}  // namespace

QueryResult query(const Database& db, const std::string& sql) {
  QueryResult result;
  for (const auto& text : statements(db.handle(), sql, db.path())) {
    Statement st = db.prepare(text);
    if (!st.readonly())
      throw StoreError(fmt::format("{}: refused: '{}' would change the database; remix query only reads (use the "
                                   "sqlite3 shell to modify results)",
                                   db.path(), text::trim(text)));
    QueryResult r;
    for (int i = 0; i < st.columns(); ++i) r.columns.push_back(st.column_name(i));
    while (st.step()) {
      std::vector<SqlValue> row;
      for (int i = 0; i < st.columns(); ++i) row.push_back(st.column(i));
      r.rows.push_back(std::move(row));
    }
    if (!r.columns.empty()) result = std::move(r);
  }
  return result;
}

std::unique_ptr<Database> open_readonly(const std::string& db_path) {
  auto db = std::make_unique<Database>(db_path, Database::Mode::ReadOnly);
  int version = db->prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'").step()
                    ? schema_version(*db)
                    : 0;
  if (version > kSchemaVersion)
    throw StoreError(fmt::format("{}: database schema version {} is newer than this remix supports ({})", db_path,
                                 version, kSchemaVersion));
  return db;
}

QueryResult query_readonly(const std::string& db_path, const std::string& sql) {
  return query(*open_readonly(db_path), sql);
}

}  // namespace remix::store
