// Copying a whole results database between engines (`remix db copy SRC DST`): a laptop sweep pushed to the lab's
// PostgreSQL server, or a server sweep pulled into a SQLite file for offline analysis. Every table is copied row
// for row with its ids (so runs, sweeps and artifacts keep pointing at each other), in one transaction on the
// destination, and the row counts of every table are compared afterwards.
#pragma once

#include <map>
#include <string>

namespace remix::store {

// Table -> rows copied. Throws StoreError: a source that is not a remix database (or of another schema version
// than this remix), a destination that already holds runs, or counts that differ after the copy.
std::map<std::string, std::int64_t> copy_store(const std::string& source, const std::string& destination);

}  // namespace remix::store
