// Read-only queries (see query.h).
#include "store/query.h"

#include <fmt/format.h>

#include <cctype>
#include <set>

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

// The pragmas a query may run, and only in their reading form (no value assigned): they describe the
// database. Every other pragma (writable_schema, journal_mode=..., user_version=...) is refused.
const std::set<std::string> kReadingPragmas = {
    "application_id", "collation_list", "compile_options", "data_version", "database_list", "encoding",
    "foreign_key_list", "freelist_count", "function_list", "index_info", "index_list", "index_xinfo",
    "integrity_check", "journal_mode", "module_list", "page_count", "page_size", "pragma_list", "quick_check",
    "schema_version", "table_info", "table_list", "table_xinfo", "user_version"};
// Pragmas whose argument names what to describe (a table, an index) rather than a value to set.
const std::set<std::string> kPragmasWithArgument = {"foreign_key_list", "index_info", "index_list", "index_xinfo",
                                                     "integrity_check", "quick_check", "table_info", "table_xinfo"};

// SQLite asks this for every action a statement would take, while it is prepared: reading is allowed, anything
// else (writing, ATTACH, DETACH, schema changes, transactions, setting a pragma) makes the statement fail to
// prepare. An authorizer and not a keyword list, so no spelling of a write gets through.
int allow_reads_only(void*, int action, const char* arg1, const char* arg2, const char*, const char*) {
  switch (action) {
    case SQLITE_SELECT:
    case SQLITE_READ:
    case SQLITE_FUNCTION:
    case SQLITE_RECURSIVE:
      return SQLITE_OK;
    case SQLITE_PRAGMA: {
      std::string name = arg1 ? arg1 : "";
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (!kReadingPragmas.count(name)) return SQLITE_DENY;
      return !arg2 || kPragmasWithArgument.count(name) ? SQLITE_OK : SQLITE_DENY;
    }
    default:
      return SQLITE_DENY;
  }
}

[[noreturn]] void refuse(const Database& db, const std::string& statement) {
  throw StoreError(fmt::format("{}: refused: '{}' is not a read; remix query only reads (use the sqlite3 shell to "
                               "modify results)",
                               db.path(), text::trim(statement)));
}

}  // namespace

QueryResult query(const Database& db, const std::string& sql) {
  QueryResult result;
  sqlite3_set_authorizer(db.handle(), allow_reads_only, nullptr);
  struct Unset {
    sqlite3* h;
    ~Unset() { sqlite3_set_authorizer(h, nullptr, nullptr); }
  } unset{db.handle()};
  std::vector<std::string> texts;
  try {
    texts = statements(db.handle(), sql, db.path());
  } catch (const StoreError& e) {
    if ((sqlite3_errcode(db.handle()) & 0xff) == SQLITE_AUTH) refuse(db, sql);
    throw;
  }
  for (const auto& text : texts) {
    Statement st = db.prepare(text);
    if (!st.readonly()) refuse(db, text);
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
