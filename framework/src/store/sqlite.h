// A thin RAII layer over the SQLite C API: a connection, prepared statements, and IMMEDIATE transactions.
// Errors become StoreError messages that name the database file and the failing statement.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "store/sql_value.h"

namespace remix::store {

class Statement {
 public:
  Statement(sqlite3* db, const std::string& sql, const std::string& db_path);
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  Statement(Statement&& o) noexcept;

  Statement& bind(int index, std::int64_t v);  // 1-based, as in SQLite
  Statement& bind(int index, int v) { return bind(index, static_cast<std::int64_t>(v)); }
  Statement& bind(int index, double v);
  Statement& bind(int index, const std::string& v);
  Statement& bind(int index, const char* v) { return bind(index, std::string(v)); }
  Statement& bind_null(int index);
  Statement& bind(int index, const SqlValue& v);

  bool step();          // true while a row is available
  void run();           // step to completion, then reset for reuse
  void reset();

  int columns() const;
  std::string column_name(int i) const;
  SqlValue column(int i) const;
  std::int64_t column_int(int i) const;
  double column_double(int i) const;
  std::string column_text(int i) const;
  bool column_is_null(int i) const;
  bool readonly() const;

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
  std::string sql_, db_path_;
};

class Database {
 public:
  enum class Mode { ReadWrite, ReadOnly };
  // Opens (ReadWrite creates) a database; throws StoreError naming the path when its directory does not
  // exist, the file is missing (ReadOnly) or is not a SQLite database, having changed nothing. Sets the busy
  // timeout, and nothing else: the journal mode is the store's to set once it knows the file (use_wal).
  // ReadOnly never creates a file beside the database (an idle WAL database is opened immutable).
  Database(const std::string& path, Mode mode, int busy_timeout_ms = 60000);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // WAL journal, synchronous=NORMAL, foreign keys: how a remix store writes. Changes the file's header.
  void use_wal();
  void exec(const std::string& sql);  // one or more statements, no results
  Statement prepare(const std::string& sql) const;
  std::int64_t last_insert_rowid() const;
  int changes() const;
  const std::string& path() const { return path_; }
  sqlite3* handle() const { return db_; }
  Mode mode() const { return mode_; }

 private:
  sqlite3* db_ = nullptr;
  std::string path_;
  Mode mode_;
};

// BEGIN IMMEDIATE takes the write lock up front, so two writers queue on busy_timeout instead of one of them
// failing with "database is locked" when a read transaction tries to upgrade. Rolls back unless committed.
class Transaction {
 public:
  explicit Transaction(Database& db);
  ~Transaction();
  void commit();

 private:
  Database& db_;
  bool done_ = false;
};

}  // namespace remix::store
