// A throwaway PostgreSQL cluster for a test: Debian's postgresql binaries (/usr/lib/postgresql/<version>/bin),
// initdb into a temporary folder (as the `postgres` user when the tests run as root: the server refuses to run
// as root), listening on a free loopback port and on a Unix socket in that folder, fsync off. Two roles: `remix`
// (trusted from the socket and loopback) owning database `remix`, and `remix_pw`, who must give its password
// over loopback. Stopped and removed with the object. Tests that need it skip, saying why, when the binaries are
// missing (setup.sh installs them).
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "support/test_env.h"

namespace remix::test {

class PostgresServer {
 public:
  // nullopt (and `why`) when no PostgreSQL server can be started here.
  static std::unique_ptr<PostgresServer> start(std::string* why);
  ~PostgresServer();

  // postgresql://remix@127.0.0.1:PORT/remix — a fresh database per call of fresh_database().
  std::string uri(const std::string& database = "remix") const;
  // A new empty database owned by `remix`; its URI.
  std::string fresh_database();
  // The password role's URI with the password in it.
  std::string uri_with_password(const std::string& password) const;
  int port() const { return port_; }
  // SQL as the superuser on `database`; throws on failure.
  std::string psql(const std::string& sql, const std::string& database = "remix") const;
  void stop();
  void restart();

 private:
  PostgresServer() = default;
  std::string run_as_server_user(const std::vector<std::string>& argv) const;
  std::string bin_, data_;
  std::unique_ptr<TempDir> dir_;
  int port_ = 0;
  int databases_ = 0;
  bool running_ = false;
};

// In a test body: the server, or GTEST_SKIP with the reason.
#define REMIX_REQUIRE_POSTGRES(var)                                                        \
  std::string var##_why;                                                                   \
  auto var = ::remix::test::PostgresServer::start(&var##_why);                             \
  if (!var) GTEST_SKIP() << "no PostgreSQL server for this test: " << var##_why

}  // namespace remix::test
