// The results database schema (docs/architecture.md §8) and its migrations. The schema version lives in the
// `schema_version` table; opening a database applies the missing migrations in one transaction, and refuses a
// database written by a newer remix.
#pragma once

#include "store/sqlite.h"

namespace remix::store {

inline constexpr int kSchemaVersion = 1;

// Brings `db` to kSchemaVersion. Throws StoreError if the database is newer than this remix.
void migrate(Database& db);
// The version a database is at (0 for an empty one). Works on read-only connections.
int schema_version(const Database& db);

}  // namespace remix::store
