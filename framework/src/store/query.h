// Read-only SQL over a results database, for `remix query` and the results/report commands: the database
// is opened read-only with query_only set, and any statement that would write is refused before it runs.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "store/sqlite.h"

namespace remix::store {

struct QueryResult {
  std::vector<std::string> columns;
  std::vector<std::vector<SqlValue>> rows;
};

// Runs `sql` (one or more statements; the rows of the last one that returns columns are kept). Throws
// StoreError for a missing or non-SQLite file, a statement that writes, or an SQL error.
QueryResult query_readonly(const std::string& db_path, const std::string& sql);
// Opens a database read-only, refusing a missing file, a non-SQLite file, or a remix database newer than this
// remix (any other SQLite file opens).
std::unique_ptr<Database> open_readonly(const std::string& db_path);
QueryResult query(const Database& db, const std::string& sql);

}  // namespace remix::store
