// A throwaway PostgreSQL cluster (see postgres_server.h).
#include "support/postgres_server.h"

#include <pwd.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "common/loopback_port.h"

namespace remix::test {

namespace fs = std::filesystem;

namespace {

// The newest Debian PostgreSQL server binaries.
std::string server_bin() {
  std::string best;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/usr/lib/postgresql", ec))
    if (fs::exists(e.path() / "bin" / "initdb") && (best.empty() || e.path().string() > best)) best = e.path().string();
  return best.empty() ? "" : best + "/bin";
}

}  // namespace

std::unique_ptr<PostgresServer> PostgresServer::start(std::string* why) {
  std::string bin = server_bin();
  if (bin.empty()) {
    *why = "no PostgreSQL server binaries under /usr/lib/postgresql (Debian: apt-get install postgresql)";
    return nullptr;
  }
  bool root = geteuid() == 0;
  passwd* server_user = root ? getpwnam("postgres") : nullptr;
  if (root && !server_user) {
    *why = "running as root and there is no `postgres` user to run the server as";
    return nullptr;
  }
  std::unique_ptr<PostgresServer> s(new PostgresServer());
  s->bin_ = bin;
  s->dir_ = std::make_unique<TempDir>();
  s->data_ = s->dir_->file("data");
  if (root && chown(s->dir_->path().c_str(), server_user->pw_uid, server_user->pw_gid) != 0) {
    *why = "cannot hand the cluster's folder to the postgres user";
    return nullptr;
  }
  try {
    s->run_as_server_user({bin + "/initdb", "-D", s->data_, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8",
                           "--locale=C"});
    s->port_ = free_loopback_port();
    std::ofstream(s->data_ + "/postgresql.conf", std::ios::app)
        << "listen_addresses = '127.0.0.1'\nport = " << s->port_ << "\nunix_socket_directories = '"
        << s->dir_->path().string() << "'\nfsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
        << "max_connections = 100\n";
    std::ofstream(s->data_ + "/pg_hba.conf", std::ios::trunc)
        << "local all all trust\nhost all remix_pw 127.0.0.1/32 scram-sha-256\nhost all all 127.0.0.1/32 trust\n";
    s->run_as_server_user({bin + "/pg_ctl", "-D", s->data_, "-l", s->data_ + "/server.log", "-w", "-t", "60", "start"});
    s->running_ = true;
    for (const char* sql : {"CREATE ROLE remix LOGIN", "CREATE DATABASE remix OWNER remix",
                            "CREATE ROLE remix_pw LOGIN PASSWORD 'sekrit-pw-42'",
                            "GRANT ALL ON DATABASE remix TO remix_pw"})
      s->psql(sql, "postgres");
  } catch (const std::exception& e) {
    *why = e.what();
    return nullptr;
  }
  return s;
}

PostgresServer::~PostgresServer() {
  try {
    stop();
  } catch (...) {
  }
}

std::string PostgresServer::run_as_server_user(const std::vector<std::string>& argv) const {
  std::vector<std::string> command = argv;
  if (geteuid() == 0) command.insert(command.begin(), {"/usr/sbin/runuser", "-u", "postgres", "--"});
  auto r = run_command(command, {}, dir_->path().string());
  if (r.exit_code != 0)
    throw std::runtime_error(argv[0] + " failed (" + std::to_string(r.exit_code) + "): " + r.err + r.out);
  return r.out;
}

std::string PostgresServer::uri(const std::string& database) const {
  return "postgresql://remix@127.0.0.1:" + std::to_string(port_) + "/" + database;
}

std::string PostgresServer::uri_with_password(const std::string& password) const {
  return "postgresql://remix_pw:" + password + "@127.0.0.1:" + std::to_string(port_) + "/remix";
}

std::string PostgresServer::fresh_database() {
  std::string name = "remix_" + std::to_string(++databases_);
  psql("CREATE DATABASE " + name + " OWNER remix", "postgres");
  return uri(name);
}

std::string PostgresServer::psql(const std::string& sql, const std::string& database) const {
  return run_as_server_user({bin_ + "/psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h",
                             dir_->path().string(), "-p", std::to_string(port_), "-U", "postgres", "-d", database, "-c",
                             sql});
}

void PostgresServer::stop() {
  if (!running_) return;
  running_ = false;
  run_as_server_user({bin_ + "/pg_ctl", "-D", data_, "-m", "immediate", "-w", "stop"});
}

void PostgresServer::restart() {
  run_as_server_user({bin_ + "/pg_ctl", "-D", data_, "-l", data_ + "/server.log", "-m", "fast", "-w", "-t", "60",
                      "restart"});
  running_ = true;
}

}  // namespace remix::test
