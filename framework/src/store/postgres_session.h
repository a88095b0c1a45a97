// A session on a PostgreSQL server through libpq, for sweeps whose workers run on several machines. The
// location is a libpq connection URI (`postgresql://user@host:port/dbname?sslmode=...`); libpq's environment
// (PGPASSWORD, PGSSLMODE, ~/.pgpass, ...) applies as usual. A password in the URI never leaves this class: the
// location shown anywhere is the URI without it, and the password is handed to this process's children through
// PGPASSWORD, as libpq reads it.
//
// A connection lost mid-sweep (a restarted server, a network blip) is reconnected with backoff, for up to a few
// minutes: a statement outside a transaction is retried; inside one, ConnectionLost tells the store to run the
// whole transaction again. A first connection that fails (unreachable host, wrong credentials, no such
// database) is a StoreError at once, after libpq's connect timeout at most.
#pragma once

#include <libpq-fe.h>

#include <string>

#include "store/sql_session.h"

namespace remix::store {

class PostgresSession final : public SqlSession {
 public:
  PostgresSession(const std::string& uri, Access access);
  ~PostgresSession() override;
  PostgresSession(const PostgresSession&) = delete;
  PostgresSession& operator=(const PostgresSession&) = delete;

  SqlDialect dialect() const override { return SqlDialect::Postgres; }
  const std::string& location() const override { return location_; }
  QueryResult query(const std::string& sql, const std::vector<SqlValue>& params) override;
  void exec_many(const std::string& sql, const std::vector<std::vector<SqlValue>>& rows) override;
  void exec_script(const std::string& sql) override;
  void begin() override;
  void commit() override;
  void rollback() override;
  std::vector<std::string> tables() override;
  QueryResult read_only_query(const std::string& sql) override;

 private:
  void connect();
  void reconnect();  // with backoff; StoreError when the server stays away
  PGresult* run(const std::string& sql, const std::vector<SqlValue>& params, bool single_statement = true);

  std::string uri_;       // without its password
  std::string location_;  // the same, for messages
  Access access_;
  PGconn* conn_ = nullptr;
  bool in_transaction_ = false;
};

// The URI without its password (user:password@ and password= both); the password through `password`.
std::string redact_uri(const std::string& uri, std::string* password = nullptr);
bool is_postgres_uri(const std::string& location);

}  // namespace remix::store
