// The SQLite session (see sqlite_session.h).
#include "store/sqlite_session.h"

#include <fmt/format.h>

#include <cctype>
#include <filesystem>
#include <set>

#include "common/text.h"
#include "remix/errors.h"

namespace remix::store {

namespace {

Database::Mode mode_for(const std::string& path, Access access) {
  if (access != Access::Create && !std::filesystem::exists(path))
    throw StoreError(fmt::format("{}: no such results database (`remix run` creates one)", path));
  return access == Access::ReadOnly ? Database::Mode::ReadOnly : Database::Mode::ReadWrite;
}

void bind_all(Statement& st, const std::vector<SqlValue>& params) {
  for (std::size_t i = 0; i < params.size(); ++i) st.bind(static_cast<int>(i + 1), params[i]);
}

QueryResult collect(Statement& st) {
  QueryResult r;
  for (int i = 0; i < st.columns(); ++i) r.columns.push_back(st.column_name(i));
  while (st.step()) {
    std::vector<SqlValue> row;
    for (int i = 0; i < st.columns(); ++i) row.push_back(st.column(i));
    r.rows.push_back(std::move(row));
  }
  return r;
}

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

[[noreturn]] void refuse(const std::string& path, const std::string& statement) {
  throw StoreError(fmt::format("{}: refused: '{}' is not a read; remix query only reads (use the sqlite3 shell to "
                               "modify results)",
                               path, text::trim(statement)));
}

}  // namespace

SqliteSession::SqliteSession(const std::string& path, Access access)
    : db_(path, mode_for(path, access)), access_(access) {}

Statement& SqliteSession::prepared(const std::string& sql) {
  auto it = statements_.find(sql);
  if (it == statements_.end()) {
    if (statements_.size() >= 128) statements_.clear();
    it = statements_.emplace(sql, db_.prepare(sql)).first;
  }
  return it->second;
}

QueryResult SqliteSession::query(const std::string& sql, const std::vector<SqlValue>& params) {
  Statement& st = prepared(sql);
  st.reset();
  bind_all(st, params);
  try {
    auto r = collect(st);
    st.reset();
    return r;
  } catch (...) {
    st.reset();
    throw;
  }
}

void SqliteSession::exec_many(const std::string& sql, const std::vector<std::vector<SqlValue>>& rows) {
  Statement& st = prepared(sql);
  for (const auto& row : rows) {
    st.reset();
    bind_all(st, row);
    st.run();
  }
}

void SqliteSession::rollback() { sqlite3_exec(db_.handle(), "ROLLBACK", nullptr, nullptr, nullptr); }

std::vector<std::string> SqliteSession::tables() {
  std::vector<std::string> out;
  for (const auto& r : query("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name", {}).rows)
    out.push_back(to_text(r.at(0)));
  return out;
}

void SqliteSession::prepare_for_writing() {
  if (access_ != Access::ReadOnly) db_.use_wal();
}

QueryResult SqliteSession::read_only_query(const std::string& sql) {
  sqlite3_set_authorizer(db_.handle(), allow_reads_only, nullptr);
  struct Unset {
    sqlite3* h;
    ~Unset() { sqlite3_set_authorizer(h, nullptr, nullptr); }
  } unset{db_.handle()};
  std::vector<std::string> texts;
  try {
    texts = statements(db_.handle(), sql, db_.path());
  } catch (const StoreError&) {
    if ((sqlite3_errcode(db_.handle()) & 0xff) == SQLITE_AUTH) refuse(db_.path(), sql);
    throw;
  }
  QueryResult result;
  for (const auto& text : texts) {
    Statement st = db_.prepare(text);
    if (!st.readonly()) refuse(db_.path(), text);
    QueryResult r = collect(st);
    if (!r.columns.empty()) result = std::move(r);  // the rows of the last statement that returns columns
  }
  return result;
}

}  // namespace remix::store
