// RAII wrappers over SQLite (see sqlite.h).
#include "store/sqlite.h"

#include <cctype>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "remix/errors.h"

namespace remix::store {

namespace fs = std::filesystem;

namespace {

[[noreturn]] void fail(sqlite3* db, const std::string& path, const std::string& what) {
  int code = db ? sqlite3_extended_errcode(db) : SQLITE_ERROR;
  std::string msg = db ? sqlite3_errmsg(db) : "out of memory";
  if ((code & 0xff) == SQLITE_NOTADB) throw StoreError(fmt::format("{}: not a SQLite database ({})", path, msg));
  if ((code & 0xff) == SQLITE_CORRUPT) throw StoreError(fmt::format("{}: the database is corrupt ({})", path, msg));
  throw StoreError(fmt::format("{}: {}: {}", path, what, msg));
}

}  // namespace


Statement::Statement(sqlite3* db, const std::string& sql, const std::string& db_path)
    : db_(db), sql_(sql), db_path_(db_path) {
  if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt_, nullptr) != SQLITE_OK)
    fail(db_, db_path_, fmt::format("cannot prepare '{}'", sql_));
}

Statement::~Statement() {
  if (stmt_) sqlite3_finalize(stmt_);
}

Statement::Statement(Statement&& o) noexcept
    : db_(o.db_), stmt_(o.stmt_), sql_(std::move(o.sql_)), db_path_(std::move(o.db_path_)) {
  o.stmt_ = nullptr;
}

Statement& Statement::bind(int index, std::int64_t v) {
  sqlite3_bind_int64(stmt_, index, v);
  return *this;
}
Statement& Statement::bind(int index, double v) {
  sqlite3_bind_double(stmt_, index, v);
  return *this;
}
Statement& Statement::bind(int index, const std::string& v) {
  sqlite3_bind_text(stmt_, index, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  return *this;
}
Statement& Statement::bind_null(int index) {
  sqlite3_bind_null(stmt_, index);
  return *this;
}
Statement& Statement::bind(int index, const SqlValue& v) {
  if (auto* i = std::get_if<std::int64_t>(&v)) return bind(index, *i);
  if (auto* d = std::get_if<double>(&v)) return bind(index, *d);
  if (auto* s = std::get_if<std::string>(&v)) return bind(index, *s);
  return bind_null(index);
}

bool Statement::step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  std::string sql = sql_;
  sqlite3_reset(stmt_);
  fail(db_, db_path_, fmt::format("'{}' failed", sql));
}

void Statement::run() {
  while (step()) {
  }
  reset();
}

void Statement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

int Statement::columns() const { return sqlite3_column_count(stmt_); }
std::string Statement::column_name(int i) const { return sqlite3_column_name(stmt_, i); }

SqlValue Statement::column(int i) const {
  switch (sqlite3_column_type(stmt_, i)) {
    case SQLITE_INTEGER: return static_cast<std::int64_t>(sqlite3_column_int64(stmt_, i));
    case SQLITE_FLOAT: return sqlite3_column_double(stmt_, i);
    case SQLITE_NULL: return std::monostate{};
    default: return column_text(i);
  }
}
std::int64_t Statement::column_int(int i) const { return sqlite3_column_int64(stmt_, i); }
double Statement::column_double(int i) const { return sqlite3_column_double(stmt_, i); }
std::string Statement::column_text(int i) const {
  const unsigned char* t = sqlite3_column_text(stmt_, i);
  return t ? std::string(reinterpret_cast<const char*>(t), sqlite3_column_bytes(stmt_, i)) : std::string();
}
bool Statement::column_is_null(int i) const { return sqlite3_column_type(stmt_, i) == SQLITE_NULL; }
bool Statement::readonly() const { return sqlite3_stmt_readonly(stmt_) != 0; }

namespace {

// What the first 100 bytes of a file say, before SQLite touches it: empty (a new database), a SQLite database
// (and whether it is in WAL mode: header bytes 18 and 19 are 2), or something else.
struct Header {
  bool exists = false, empty = false, sqlite = false, wal = false;
};

Header read_header(const std::string& path) {
  Header h;
  std::ifstream in(path, std::ios::binary);
  if (!in) return h;
  h.exists = true;
  char bytes[100] = {};
  in.read(bytes, sizeof(bytes));
  auto n = in.gcount();
  h.empty = n == 0;
  h.sqlite = n == static_cast<std::streamsize>(sizeof(bytes)) && std::memcmp(bytes, "SQLite format 3", 16) == 0;
  h.wal = h.sqlite && bytes[18] == 2 && bytes[19] == 2;
  return h;
}

// A file: URI for sqlite3_open_v2 (percent-escaping what a URI path cannot hold).
std::string file_uri(const std::string& path, const std::string& query) {
  std::string out = "file:";
  for (unsigned char c : fs::absolute(path).string()) {
    if (std::isalnum(c) || std::strchr("/-._~", c)) out += static_cast<char>(c);
    else out += fmt::format("%{:02X}", c);
  }
  return out + "?" + query;
}

}  // namespace

Database::Database(const std::string& path, Mode mode, int busy_timeout_ms) : path_(path), mode_(mode) {
  fs::path p(path);
  fs::path dir = p.has_parent_path() ? p.parent_path() : fs::path(".");
  if (!fs::is_directory(dir))
    throw StoreError(fmt::format("{}: the directory '{}' does not exist (create it, or set experiment.db)", path,
                                 dir.string()));
  if (fs::is_directory(p)) throw StoreError(fmt::format("{}: is a directory, not a database file", path));
  Header header = read_header(path);
  if (mode == Mode::ReadOnly && !header.exists) throw StoreError(fmt::format("{}: no such database", path));
  if (header.exists && !header.empty && !header.sqlite)
    throw StoreError(fmt::format("{}: not a SQLite database (its first bytes are not SQLite's header)", path));
  // Read-only: a WAL database with no -wal file has no writer; opening it immutable reads it without creating
  // the -wal and -shm files a reader would otherwise leave beside it (or fail to create beside a read-only copy).
  // Any other database opens plainly read-only, which creates nothing either.
  std::string target = path;
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
  if (mode == Mode::ReadOnly) {
    bool idle_wal = header.wal && !fs::exists(path + "-wal");
    target = file_uri(path, idle_wal ? "immutable=1" : "mode=ro");
    flags = SQLITE_OPEN_READONLY | SQLITE_OPEN_URI;
  }
  if (sqlite3_open_v2(target.c_str(), &db_, flags | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK) {
    std::string msg = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    db_ = nullptr;
    throw StoreError(fmt::format("{}: cannot open database: {}", path, msg));
  }
  sqlite3_busy_timeout(db_, busy_timeout_ms);
  try {
    // Reading the schema detects a file SQLite cannot read before anything could be written to it. Nothing
    // else is set here: a store decides what the file is before it changes the journal mode (use_wal).
    exec("SELECT count(*) FROM sqlite_master");
    if (mode == Mode::ReadOnly) exec("PRAGMA query_only=ON");
  } catch (...) {
    sqlite3_close(db_);
    db_ = nullptr;
    throw;
  }
}

void Database::use_wal() {
  exec("PRAGMA journal_mode=WAL");
  // WAL + NORMAL is durable against process crashes (a killed process loses nothing committed); only a power
  // loss can roll back the last transactions.
  exec("PRAGMA synchronous=NORMAL");
  exec("PRAGMA foreign_keys=ON");
}

Database::~Database() {
  if (db_) sqlite3_close(db_);
}

void Database::exec(const std::string& sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    sqlite3_free(err);  // sqlite3_errmsg still holds the message
    fail(db_, path_, fmt::format("'{}' failed", sql.substr(0, 200)));
  }
}

Statement Database::prepare(const std::string& sql) const { return Statement(db_, sql, path_); }
std::int64_t Database::last_insert_rowid() const { return sqlite3_last_insert_rowid(db_); }
int Database::changes() const { return sqlite3_changes(db_); }

Transaction::Transaction(Database& db) : db_(db) { db_.exec("BEGIN IMMEDIATE"); }

Transaction::~Transaction() {
  if (!done_) sqlite3_exec(db_.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
}

void Transaction::commit() {
  db_.exec("COMMIT");
  done_ = true;
}

}  // namespace remix::store
