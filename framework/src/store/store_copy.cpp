// Copying a results database (see store_copy.h).
#include "store/store_copy.h"

#include <fmt/format.h>

#include "common/text.h"
#include "remix/errors.h"
#include "store/schema.h"
#include "store/sql_store.h"

namespace remix::store {

namespace {

// Every table and its columns, parents before children (the foreign keys hold at every insert).
struct TableSpec {
  const char* name;
  const char* columns;
  const char* order;
};
const TableSpec kTables[] = {
    {"schema_version", "version, applied_at", "version"},
    {"experiments", "id, name, created_at", "id"},
    {"sweeps", "id, experiment_id, name, spec, created_at", "id"},
    {"runs",
     "id, run_key, experiment_id, name, kind, status, attempt, heartbeat, host, pid, created_at, started_at, "
     "ended_at, error, stderr_tail, config",
     "id"},
    {"sweep_runs", "sweep_id, run_id, position, name", "sweep_id, run_id"},
    {"params", "run_id, key, value", "run_id, key"},
    {"metrics", "run_id, key, step, value, wall_time", "run_id, key, step"},
    {"latest_metrics", "run_id, key, step, value, wall_time", "run_id, key"},
    {"tags", "run_id, key, value", "run_id, key"},
    {"artifacts", "id, run_id, kind, path, step, sha256, bytes, created_at", "id"},
    {"preview_sources", "preview_run_id, source_run_id, task, weight", "preview_run_id, source_run_id"},
    {"eval_outcomes", "run_id, metric, step, example, score", "run_id, metric, step, example"},
};

std::int64_t count_rows(SqlSession& s, const char* table) {
  return std::get<std::int64_t>(s.query(fmt::format("SELECT count(*) FROM {}", table), {}).rows.at(0).at(0));
}

}  // namespace

std::map<std::string, std::int64_t> copy_store(const std::string& source, const std::string& destination) {
  auto src = open_session(source, Access::ReadOnly);
  if (schema_version(*src) != kSchemaVersion)
    throw StoreError(fmt::format("{}: schema version {}, this remix writes version {}; open it with `remix run` "
                                 "once to migrate it, then copy",
                                 src->location(), schema_version(*src), kSchemaVersion));
  // The destination is made (or migrated) an empty remix store by opening it as one, then filled raw.
  open_store(destination, Access::Create);
  auto dst = open_session(destination, Access::ReadWrite);
  if (count_rows(*dst, "runs") > 0 || count_rows(*dst, "experiments") > 0)
    throw StoreError(fmt::format("{}: already holds results; copy into a new, empty database", dst->location()));

  std::map<std::string, std::int64_t> copied;
  SqlTransaction tx(*dst);
  dst->exec("DELETE FROM schema_version");
  for (const auto& t : kTables) {
    auto rows = src->query(fmt::format("SELECT {} FROM {} ORDER BY {}", t.columns, t.name, t.order), {});
    std::string marks;
    for (std::size_t i = 0; i < rows.columns.size(); ++i) marks += i ? ", ?" : "?";
    dst->exec_many(fmt::format("INSERT INTO {} ({}) VALUES ({})", t.name, t.columns, marks), rows.rows);
    copied[t.name] = static_cast<std::int64_t>(rows.rows.size());
  }
  // PostgreSQL's identity columns go on from the copied ids.
  if (dst->dialect() == SqlDialect::Postgres)
    for (const char* table : {"experiments", "sweeps", "runs", "artifacts"})
      dst->exec(fmt::format("SELECT setval(pg_get_serial_sequence('{0}', 'id'), coalesce(max(id), 0) + 1, false) "
                            "FROM {0}",
                            table));
  tx.commit();

  for (const auto& t : kTables) {
    auto in_source = count_rows(*src, t.name), in_destination = count_rows(*dst, t.name);
    if (in_source != in_destination || in_destination != copied[t.name])
      throw StoreError(fmt::format("{} -> {}: table {} has {} rows in the source and {} in the copy", src->location(),
                                   dst->location(), t.name, in_source, in_destination));
  }
  return copied;
}

}  // namespace remix::store
