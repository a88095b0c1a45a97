// The results database schema (docs/architecture.md §8) and its migrations, in each engine's dialect. The
// schema version lives in the `schema_version` table; opening a store for writing applies the missing
// migrations in one transaction, and a database written by a newer remix is refused.
#pragma once

#include <optional>

#include "store/sql_session.h"

namespace remix::store {

inline constexpr int kSchemaVersion = 4;

// The version of a remix database (0 for an empty one), or nullopt for a database of another application.
std::optional<int> remix_schema_version(SqlSession& session);
// The same, as a StoreError naming the database for another application's database or a newer schema.
int schema_version(SqlSession& session);
// Brings the database to kSchemaVersion (schema_version's errors first).
void migrate(SqlSession& session);
// Brings the database to `target` (≤ kSchemaVersion) only: how tests make a database of an older remix.
void migrate_to(SqlSession& session, int target);

}  // namespace remix::store
