// The store on a real PostgreSQL server, where it differs from a file: bad locations (an unreachable server,
// wrong credentials, another application's database, a newer schema) refused with exit-2 errors that name the
// server without its password; a password never leaves the session (not in the location, an error, the runs
// table, or the params); and `remix db copy` taking a database SQLite -> PostgreSQL -> SQLite with every table
// the same, row for row.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>

#include "remix/errors.h"
#include "store/postgres_session.h"
#include "store/recorder.h"
#include "store/results_store.h"
#include "store/sql_store.h"
#include "support/postgres_server.h"
#include "support/test_env.h"

namespace remix::store {
namespace {

constexpr const char* kPassword = "sekrit-pw-42";

TEST(PostgresUri, RedactionRemovesThePasswordWhereverTheUriPutsIt) {
  std::string password;
  EXPECT_EQ(redact_uri("postgresql://me:hunter2@db.lab:5432/sweeps", &password), "postgresql://me@db.lab:5432/sweeps");
  EXPECT_EQ(password, "hunter2");
  EXPECT_EQ(redact_uri("postgres://db.lab/sweeps?sslmode=require&password=hunter3&x=1", &password),
            "postgres://db.lab/sweeps?sslmode=require&x=1");
  EXPECT_EQ(password, "hunter3");
  EXPECT_EQ(redact_uri("postgresql://me@db.lab/sweeps?password=p"), "postgresql://me@db.lab/sweeps");
  EXPECT_EQ(redact_location("results/r.db"), "results/r.db");
  EXPECT_TRUE(is_server_location("postgresql://x/y"));
  EXPECT_FALSE(is_server_location("results/postgresql.db"));
}

int closed_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);  // nothing listens there now
  return ntohs(addr.sin_port);
}

TEST(PostgresStore, AnUnreachableServerFailsFastNamingItWithoutThePassword) {
  auto uri = "postgresql://remix:" + std::string(kPassword) + "@127.0.0.1:" + std::to_string(closed_port()) + "/remix";
  auto start = std::chrono::steady_clock::now();
  auto msg = test::error_message<StoreError>([&] { open_store(uri, Access::Create); });
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_LT(seconds, 15);
  EXPECT_NE(msg.find("cannot connect to the PostgreSQL server"), std::string::npos) << msg;
  EXPECT_NE(msg.find("postgresql://remix@127.0.0.1:"), std::string::npos) << msg;
  EXPECT_EQ(msg.find(kPassword), std::string::npos) << msg;
  auto r = test::run_command({test::remix_bin(), "runs", uri});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ((r.out + r.err).find(kPassword), std::string::npos) << r.err;
}

TEST(PostgresStore, WrongCredentialsAreRefusedWithoutShowingThem) {
  REMIX_REQUIRE_POSTGRES(server);
  auto msg = test::error_message<StoreError>([&] { open_store(server->uri_with_password("not-it"), Access::Create); });
  EXPECT_NE(msg.find("password authentication failed for user \"remix_pw\""), std::string::npos) << msg;
  EXPECT_EQ(msg.find("not-it"), std::string::npos) << msg;
  // The right password works, and is nowhere to be seen afterwards.
  server->psql("GRANT ALL ON SCHEMA public TO remix_pw");
  auto store = open_store(server->uri_with_password(kPassword), Access::Create);
  EXPECT_EQ(store->location().find(kPassword), std::string::npos) << store->location();
}

TEST(PostgresStore, AnotherApplicationsDatabaseIsRefusedUntouched) {
  REMIX_REQUIRE_POSTGRES(server);
  auto uri = server->fresh_database();
  server->psql("SET ROLE remix; CREATE TABLE photos (id INTEGER PRIMARY KEY, title TEXT); INSERT INTO photos VALUES (1, 'beach')",
               uri.substr(uri.rfind('/') + 1));
  for (auto access : {Access::Create, Access::ReadWrite, Access::ReadOnly}) {
    auto msg = test::error_message<StoreError>([&] { open_store(uri, access); });
    EXPECT_NE(msg.find("not a remix results database (it has tables but no schema_version)"), std::string::npos) << msg;
  }
  EXPECT_EQ(server->psql("SELECT string_agg(table_name, ',') FROM information_schema.tables WHERE table_schema = "
                         "'public'",
                         uri.substr(uri.rfind('/') + 1)),
            "photos\n");
  auto r = test::run_command({test::remix_bin(), "query", uri, "SELECT title FROM photos", "--format", "csv"});
  EXPECT_EQ(r.exit_code, 0) << r.err;  // still readable by query
  EXPECT_EQ(r.out, "title\nbeach\n");
}

TEST(PostgresStore, ANewerSchemaIsRefused) {
  REMIX_REQUIRE_POSTGRES(server);
  auto uri = server->fresh_database();
  open_store(uri, Access::Create);
  server->psql("INSERT INTO schema_version VALUES (99, 0)", uri.substr(uri.rfind('/') + 1));
  auto msg = test::error_message<StoreError>([&] { open_store(uri, Access::ReadWrite); });
  EXPECT_NE(msg.find("schema version 99 is newer than this remix supports"), std::string::npos) << msg;
}

TEST(PostgresStore, QueryReadsAndRefusesEveryWrite) {
  REMIX_REQUIRE_POSTGRES(server);
  auto uri = server->fresh_database();
  open_store(uri, Access::Create)->ensure_experiment("e");
  for (const char* sql : {"DELETE FROM experiments", "UPDATE experiments SET name = 'x'", "DROP TABLE metrics",
                          "CREATE TABLE t (x INTEGER)", "SELECT 1; DELETE FROM experiments",
                          "COMMIT; DELETE FROM experiments", "SELECT nextval(pg_get_serial_sequence('runs', 'id'))"}) {
    auto r = test::run_command({test::remix_bin(), "query", uri, sql});
    EXPECT_EQ(r.exit_code, 2) << sql << "\n" << r.out;
  }
  auto r = test::run_command({test::remix_bin(), "query", uri, "SELECT count(*) AS n FROM experiments", "-f", "csv"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "n\n1\n");
}

// Every table as text, row by row, in key order: what a faithful copy must reproduce.
std::map<std::string, std::vector<std::string>> dump(const std::string& location) {
  auto store = open_store(location, Access::ReadOnly);
  std::map<std::string, std::vector<std::string>> out;
  for (const char* q : {"SELECT version FROM schema_version", "SELECT id, name, created_at FROM experiments ORDER BY id",
                        "SELECT id, experiment_id, name, spec FROM sweeps ORDER BY id",
                        "SELECT id, run_key, name, kind, status, attempt, heartbeat, host, pid, error, config FROM runs "
                        "ORDER BY id",
                        "SELECT sweep_id, run_id, position FROM sweep_runs ORDER BY sweep_id, run_id",
                        "SELECT run_id, key, value FROM params ORDER BY run_id, key",
                        "SELECT run_id, key, step, value, wall_time FROM metrics ORDER BY run_id, key, step",
                        "SELECT run_id, key, step, value FROM latest_metrics ORDER BY run_id, key",
                        "SELECT run_id, key, value FROM tags ORDER BY run_id, key",
                        "SELECT id, run_id, kind, path, step, sha256, bytes FROM artifacts ORDER BY id"})
    for (const auto& row : store->read(q).rows) {
      std::string line;
      for (const auto& v : row) line += to_text(v) + "|";
      out[q].push_back(line);
    }
  return out;
}

TEST(PostgresStore, DbCopyRoundTripsEveryTableExactly) {
  REMIX_REQUIRE_POSTGRES(server);
  test::TempDir dir;
  // A real sweep's database: two tiny trials and their base model's pretraining.
  std::string config = dir.write("exp.yaml", "experiment: {name: c, db: " + dir.file("a.db") + ", output_dir: " +
                                                 dir.file("runs") + "}\nrouter: {plugin: test_router}\n"
                                                 "tasks: {add: {plugin: test_task}}\n" + test::tiny_trial_yaml(dir));
  auto run = test::run_command({test::remix_bin(), "--plugin-path", test::test_plugin_dir(), "run", config, "seed=0,1"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  auto pg = server->fresh_database();
  auto to_pg = test::run_command({test::remix_bin(), "db", "copy", dir.file("a.db"), pg});
  ASSERT_EQ(to_pg.exit_code, 0) << to_pg.err;
  EXPECT_NE(to_pg.out.find("every table's rows counted again"), std::string::npos) << to_pg.out;
  auto back = test::run_command({test::remix_bin(), "db", "copy", pg, dir.file("b.db")});
  ASSERT_EQ(back.exit_code, 0) << back.err;
  auto original = dump(dir.file("a.db"));
  EXPECT_GT(original["SELECT run_id, key, step, value, wall_time FROM metrics ORDER BY run_id, key, step"].size(), 50u);
  EXPECT_EQ(dump(pg), original);
  EXPECT_EQ(dump(dir.file("b.db")), original);
  // The copy on the server goes on as a store: ids continue after the copied ones.
  auto store = open_store(pg, Access::ReadWrite);
  EXPECT_GT(store->ensure_experiment("new"), 1);
  // Copying into a database that holds results is refused.
  auto again = test::run_command({test::remix_bin(), "db", "copy", dir.file("a.db"), pg});
  EXPECT_EQ(again.exit_code, 2);
  EXPECT_NE(again.err.find("already holds results"), std::string::npos) << again.err;
}

TEST(PostgresStore, APasswordInExperimentDbIsRecordedNowhere) {
  REMIX_REQUIRE_POSTGRES(server);
  server->psql("GRANT ALL ON SCHEMA public TO remix_pw");
  test::TempDir dir;
  std::string uri = server->uri_with_password(kPassword);
  std::string config = dir.write("exp.yaml", "experiment: {name: p, db: '" + uri + "', output_dir: " +
                                                 dir.file("runs") + "}\nrouter: {plugin: test_router}\n"
                                                 "tasks: {add: {plugin: test_task}}\n" + test::tiny_trial_yaml(dir));
  auto r = test::run_command({test::remix_bin(), "--plugin-path", test::test_plugin_dir(), "run", config});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ((r.out + r.err).find(kPassword), std::string::npos);
  auto everything = dump(uri);
  for (const auto& [table, rows] : everything)
    for (const auto& row : rows) EXPECT_EQ(row.find(kPassword), std::string::npos) << table << ": " << row;
  EXPECT_FALSE(everything["SELECT run_id, key, value FROM params ORDER BY run_id, key"].empty());
}

}  // namespace
}  // namespace remix::store
