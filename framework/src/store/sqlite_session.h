// A session on a SQLite file (sqlite.h underneath): statements prepared once and kept (the metric writes are
// the hot path), BEGIN IMMEDIATE transactions, WAL once the store has recognised the file, and `remix query`'s
// reads under an SQLite authorizer that refuses every other action.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "store/sql_session.h"
#include "store/sqlite.h"

namespace remix::store {

class SqliteSession final : public SqlSession {
 public:
  // ReadOnly opens without creating anything beside the file (sqlite.h); Create may make a new file.
  SqliteSession(const std::string& path, Access access);

  SqlDialect dialect() const override { return SqlDialect::Sqlite; }
  const std::string& location() const override { return db_.path(); }
  QueryResult query(const std::string& sql, const std::vector<SqlValue>& params) override;
  void exec_many(const std::string& sql, const std::vector<std::vector<SqlValue>>& rows) override;
  void exec_script(const std::string& sql) override { db_.exec(sql); }
  void begin() override { db_.exec("BEGIN IMMEDIATE"); }
  void commit() override { db_.exec("COMMIT"); }
  void rollback() override;
  std::vector<std::string> tables() override;
  void prepare_for_writing() override;
  QueryResult read_only_query(const std::string& sql) override;

  Database& database() { return db_; }

 private:
  Statement& prepared(const std::string& sql);
  Database db_;
  Access access_;
  std::map<std::string, Statement> statements_;
};

}  // namespace remix::store
