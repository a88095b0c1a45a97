// The PostgreSQL session (see postgres_session.h).
#include "store/postgres_session.h"

#include <fmt/format.h>

#include <cctype>
#include <chrono>
#include <cstdlib>
#include <regex>
#include <thread>

#include "common/log.h"
#include "common/text.h"
#include "remix/errors.h"

namespace remix::store {

namespace {

constexpr double kReconnectSeconds = 300;  // how long a lost server is waited for, with backoff
constexpr std::size_t kMaxParameters = 30000;  // per statement (the protocol allows 65535)

// Portable `?` placeholders as PostgreSQL's $1, $2, ... (a `?` inside quotes is text, not a placeholder).
std::string numbered_placeholders(const std::string& sql, int first = 1) {
  std::string out;
  char quote = 0;
  int n = first;
  for (char c : sql) {
    if (quote) {
      if (c == quote) quote = 0;
    } else if (c == '\'' || c == '"') {
      quote = c;
    } else if (c == '?') {
      out += "$" + std::to_string(n++);
      continue;
    }
    out += c;
  }
  return out;
}

std::string text_of(const SqlValue& v) {
  if (auto* d = std::get_if<double>(&v)) return fmt::format("{:.17g}", *d);
  return to_text(v);
}

SqlValue value_of(const PGresult* r, int row, int column) {
  if (PQgetisnull(r, row, column)) return std::monostate{};
  const char* text = PQgetvalue(r, row, column);
  switch (PQftype(r, column)) {
    case 20:  // int8
    case 21:  // int2
    case 23:  // int4
      return static_cast<std::int64_t>(std::strtoll(text, nullptr, 10));
    case 700:   // float4
    case 701:   // float8
    case 1700:  // numeric
      return std::strtod(text, nullptr);
    default:
      return std::string(text, static_cast<std::size_t>(PQgetlength(r, row, column)));
  }
}

QueryResult collect(const PGresult* r) {
  QueryResult out;
  for (int c = 0; c < PQnfields(r); ++c) out.columns.push_back(PQfname(r, c));
  for (int row = 0; row < PQntuples(r); ++row) {
    std::vector<SqlValue> values;
    for (int c = 0; c < PQnfields(r); ++c) values.push_back(value_of(r, row, c));
    out.rows.push_back(std::move(values));
  }
  return out;
}

std::string first_line(const char* message) {
  std::string m = message ? message : "";
  return text::trim(m.substr(0, m.find('\n')));
}

}  // namespace

bool is_postgres_uri(const std::string& location) {
  return text::starts_with(location, "postgresql://") || text::starts_with(location, "postgres://");
}

std::string redact_uri(const std::string& uri, std::string* password) {
  // postgresql://user:secret@host/db -> postgresql://user@host/db
  static const std::regex userinfo(R"(^(postgres(?:ql)?://[^:@/?#]*):([^@/?#]*)@)");
  // ...?password=secret&x=y -> ...?x=y
  static const std::regex param(R"(([?&])password=([^&#]*)&?)");
  std::string out = uri;
  std::smatch m;
  if (std::regex_search(out, m, userinfo)) {
    if (password) *password = m[2];
    out = m[1].str() + "@" + m.suffix().str();
  }
  if (std::regex_search(out, m, param)) {
    if (password) *password = m[2];
    out = m.prefix().str() + m[1].str() + m.suffix().str();
    if (!out.empty() && (out.back() == '?' || out.back() == '&')) out.pop_back();
  }
  return out;
}

PostgresSession::PostgresSession(const std::string& uri, Access access) : access_(access) {
  std::string password;
  uri_ = redact_uri(uri, &password);
  location_ = uri_;
  // libpq reads it from the environment, and so do the trial processes this one starts.
  if (!password.empty()) setenv("PGPASSWORD", password.c_str(), 1);
  connect();
}

PostgresSession::~PostgresSession() {
  if (conn_) PQfinish(conn_);
}

void PostgresSession::connect() {
  if (conn_) PQfinish(conn_);
  // Later keywords win over what the URI says: the connect timeout bounds an unreachable host; a read-only
  // session's transactions are read-only unless a statement says otherwise.
  const char* keys[] = {"connect_timeout", "application_name", "dbname", "options", nullptr};
  std::string options = access_ == Access::ReadOnly ? "-c default_transaction_read_only=on" : "";
  const char* values[] = {"10", "remix", uri_.c_str(), options.c_str(), nullptr};
  conn_ = PQconnectdbParams(keys, values, /*expand_dbname=*/1);
  if (PQstatus(conn_) != CONNECTION_OK) {
    std::string full = PQerrorMessage(conn_), why = first_line(full.c_str());
    PQfinish(conn_);
    conn_ = nullptr;
    std::string message = fmt::format("{}: cannot connect to the PostgreSQL server: {}", location_, why);
    // Nobody answered (or the server is between a stop and a start): it may come back. Anything else is a no.
    for (const char* transient : {"Connection refused", "starting up", "shutting down", "timeout expired",
                                  "No such file or directory", "server closed the connection", "could not receive"})
      if (full.find(transient) != std::string::npos) throw ServerUnavailable(message);
    throw StoreError(message);
  }
  PQsetNoticeProcessor(conn_, [](void*, const char*) {}, nullptr);  // "there is no transaction" and the like
  exec_script("SET client_min_messages = warning");
}

void PostgresSession::reconnect() {
  using Clock = std::chrono::steady_clock;
  auto give_up = Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(kReconnectSeconds));
  double wait = 0.25;
  for (int attempt = 1;; ++attempt) {
    try {
      connect();
      log::info("{}: reconnected (attempt {})", location_, attempt);
      return;
    } catch (const StoreError& e) {
      if (Clock::now() >= give_up)
        throw StoreError(fmt::format("{}: the connection was lost and the server did not come back within {:.0f} s: {}",
                                     location_, kReconnectSeconds, e.what()));
      if (attempt == 1) log::warn("{}: connection lost; reconnecting with backoff", location_);
      std::this_thread::sleep_for(std::chrono::duration<double>(wait));
      wait = std::min(wait * 2, 8.0);
    }
  }
}

PGresult* PostgresSession::run(const std::string& sql, const std::vector<SqlValue>& params, bool single_statement) {
  for (int tries = 0;; ++tries) {
    if (!conn_ || PQstatus(conn_) != CONNECTION_OK) {
      if (in_transaction_) throw ConnectionLost(fmt::format("{}: the connection was lost in a transaction", location_));
      reconnect();
    }
    std::vector<std::string> texts;
    std::vector<const char*> values;
    for (const auto& p : params) texts.push_back(text_of(p));
    for (std::size_t i = 0; i < params.size(); ++i)
      values.push_back(std::holds_alternative<std::monostate>(params[i]) ? nullptr : texts[i].c_str());
    PGresult* r = single_statement ? PQexecParams(conn_, numbered_placeholders(sql).c_str(),
                                                  static_cast<int>(values.size()), nullptr, values.data(), nullptr,
                                                  nullptr, 0)
                                   : PQexec(conn_, sql.c_str());
    auto status = PQresultStatus(r);
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return r;
    std::string why = first_line(PQresultErrorMessage(r));
    const char* state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    std::string sqlstate = state ? state : "";
    PQclear(r);
    if (PQstatus(conn_) != CONNECTION_OK && tries == 0) {  // the server went away under this statement
      if (in_transaction_) {
        in_transaction_ = false;
        throw ConnectionLost(fmt::format("{}: the connection was lost in a transaction: {}", location_, why));
      }
      continue;
    }
    if (sqlstate == "25006")  // read_only_sql_transaction
      throw StoreError(fmt::format("{}: refused: '{}' is not a read; this connection only reads", location_,
                                   text::trim(sql).substr(0, 200)));
    throw StoreError(fmt::format("{}: '{}' failed: {}", location_, text::trim(sql).substr(0, 200), why));
  }
}

QueryResult PostgresSession::query(const std::string& sql, const std::vector<SqlValue>& params) {
  PGresult* r = run(sql, params);
  auto out = collect(r);
  PQclear(r);
  return out;
}

void PostgresSession::exec_many(const std::string& sql, const std::vector<std::vector<SqlValue>>& rows) {
  if (rows.empty()) return;
  // One multi-row INSERT per chunk: "... VALUES (?, ?) ..." becomes "... VALUES (?, ?), (?, ?), ... ...".
  std::string lower = sql;
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  auto values = lower.find("values (");
  auto close = values == std::string::npos ? std::string::npos : sql.find(')', values);
  if (close == std::string::npos) {
    for (const auto& row : rows) query(sql, row);
    return;
  }
  std::string tuple = sql.substr(values + 7, close - values - 6);
  std::size_t per_row = rows.front().size(), chunk = std::max<std::size_t>(1, kMaxParameters / std::max<std::size_t>(1, per_row));
  for (std::size_t start = 0; start < rows.size(); start += chunk) {
    std::size_t end = std::min(rows.size(), start + chunk);
    std::string tuples;
    std::vector<SqlValue> params;
    for (std::size_t i = start; i < end; ++i) {
      tuples += (i == start ? "" : ", ") + tuple;
      params.insert(params.end(), rows[i].begin(), rows[i].end());
    }
    PQclear(run(sql.substr(0, values + 7) + tuples + sql.substr(close + 1), params));
  }
}

void PostgresSession::exec_script(const std::string& sql) { PQclear(run(sql, {}, /*single_statement=*/false)); }

void PostgresSession::begin() {
  if (!conn_ || PQstatus(conn_) != CONNECTION_OK) reconnect();
  PQclear(run("BEGIN", {}));
  in_transaction_ = true;
}

void PostgresSession::commit() {
  PQclear(run("COMMIT", {}));
  in_transaction_ = false;
}

void PostgresSession::rollback() {
  in_transaction_ = false;
  if (conn_ && PQstatus(conn_) == CONNECTION_OK) PQclear(PQexec(conn_, "ROLLBACK"));
}

std::vector<std::string> PostgresSession::tables() {
  std::vector<std::string> out;
  // pg_tables lists every table of the schema, whoever may read it (information_schema would hide other users').
  for (const auto& r : query("SELECT tablename FROM pg_catalog.pg_tables WHERE schemaname = current_schema() "
                             "ORDER BY tablename", {})
                           .rows)
    out.push_back(to_text(r.at(0)));
  return out;
}

QueryResult PostgresSession::read_only_query(const std::string& sql) {
  // A read-only transaction around one statement (the extended protocol refuses several at once): whatever the
  // statement is, it cannot write, and a COMMIT inside it only ends the read-only transaction.
  PQclear(run("BEGIN READ ONLY", {}));
  in_transaction_ = true;
  try {
    auto out = query(sql, {});
    rollback();
    return out;
  } catch (...) {
    rollback();
    throw;
  }
}

}  // namespace remix::store
