// Choosing the backend of a store location (see results_store.h).
#include "store/results_store.h"

#include <fmt/format.h>

#include "remix/errors.h"
#include "store/sqlite_store.h"

namespace remix::store {

std::unique_ptr<ResultsStore> open_store(const std::string& location, Access access) {
  // A URI names a database server; this build keeps results in SQLite files only.
  if (auto scheme = location.find("://"); scheme != std::string::npos)
    throw StoreError(fmt::format("experiment.db: '{}' is a {} URI, but this remix stores results in SQLite files "
                                 "only; give a file path",
                                 location.substr(0, scheme + 3) + "...", location.substr(0, scheme)));
  return std::make_unique<SqliteStore>(location, access);
}

}  // namespace remix::store
