// Choosing the engine of a location (see sql_session.h).
#include "store/sql_session.h"

#include "store/postgres_session.h"
#include "store/sqlite_session.h"

namespace remix::store {

std::unique_ptr<SqlSession> open_session(const std::string& location, Access access) {
  if (is_postgres_uri(location)) return std::make_unique<PostgresSession>(location, access);
  return std::make_unique<SqliteSession>(location, access);
}

}  // namespace remix::store
