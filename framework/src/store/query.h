// Read-only SQL over a results database, for `remix query`: the user's SQL runs so that it can only read
// (SQLite: a read-only connection under an authorizer that allows reads alone; PostgreSQL: a read-only
// transaction), on remix's databases and on any other database of the engine; a remix database of a newer
// schema is refused. Anything that would write is refused with a StoreError saying so.
#pragma once

#include <string>

#include "store/sql_value.h"

namespace remix::store {

QueryResult query_readonly(const std::string& location, const std::string& sql);

}  // namespace remix::store
