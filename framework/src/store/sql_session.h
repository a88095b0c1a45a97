// One connection to a results database, whatever engine holds it: the seam between the store (which speaks
// portable SQL with `?` placeholders) and an engine (SQLite in a file, or a PostgreSQL server). A session runs
// statements, batches of one statement, transactions that take the write lock up front, and the few things that
// differ between engines (what tables exist, a read-only query of a user's SQL). Engines: sqlite_session.h,
// postgres_session.h; open_session() picks one by the location.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "store/results_store.h"
#include "store/sql_value.h"

namespace remix::store {

enum class SqlDialect { Sqlite, Postgres };

class SqlSession {
 public:
  virtual ~SqlSession() = default;
  virtual SqlDialect dialect() const = 0;
  // Where the database is, for messages: a path, or a URI without its password.
  virtual const std::string& location() const = 0;

  // One statement, `?` placeholders bound in order; its rows (none for a write).
  virtual QueryResult query(const std::string& sql, const std::vector<SqlValue>& params = {}) = 0;
  void exec(const std::string& sql, const std::vector<SqlValue>& params = {}) { query(sql, params); }
  // The same statement once per row of parameters, as few round trips as the engine allows.
  virtual void exec_many(const std::string& sql, const std::vector<std::vector<SqlValue>>& rows) = 0;
  // Statements without parameters, separated by ';' (a migration).
  virtual void exec_script(const std::string& sql) = 0;

  // A transaction that takes the write lock up front, so two writers queue instead of deadlocking.
  virtual void begin() = 0;
  virtual void commit() = 0;
  virtual void rollback() = 0;  // never throws

  // The tables of the database (what recognising a database needs).
  virtual std::vector<std::string> tables() = 0;
  // After a database is recognised as remix's: how remix writes it (SQLite: WAL journal).
  virtual void prepare_for_writing() {}
  // A user's SQL (`remix query`), allowed to read only: anything else is refused with a StoreError saying so.
  virtual QueryResult read_only_query(const std::string& sql) = 0;
};

// A connection for the location: a PostgreSQL URI (postgresql:// or postgres://) or a SQLite file path. Create
// may make a missing SQLite file; ReadWrite and ReadOnly need an existing database. Throws StoreError naming the
// location (without a password).
std::unique_ptr<SqlSession> open_session(const std::string& location, Access access);

// A transaction that rolls back unless committed.
class SqlTransaction {
 public:
  explicit SqlTransaction(SqlSession& session) : session_(session) { session_.begin(); }
  ~SqlTransaction() {
    if (!done_) session_.rollback();
  }
  SqlTransaction(const SqlTransaction&) = delete;
  SqlTransaction& operator=(const SqlTransaction&) = delete;
  void commit() {
    session_.commit();
    done_ = true;
  }

 private:
  SqlSession& session_;
  bool done_ = false;
};

}  // namespace remix::store
