// Read-only queries (see query.h).
#include "store/query.h"

#include <fmt/format.h>

#include "remix/errors.h"
#include "store/schema.h"
#include "store/sql_session.h"

namespace remix::store {

QueryResult query_readonly(const std::string& location, const std::string& sql) {
  auto session = open_session(location, Access::ReadOnly);
  auto version = remix_schema_version(*session);  // any database may be queried, but not a newer remix's
  if (version && *version > kSchemaVersion)
    throw StoreError(fmt::format("{}: database schema version {} is newer than this remix supports ({})",
                                 session->location(), *version, kSchemaVersion));
  return session->read_only_query(sql);
}

}  // namespace remix::store
