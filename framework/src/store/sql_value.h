// A value read from or bound to an SQL statement, and the rows of a query: the currency between the store,
// its engines (SQLite, PostgreSQL) and the commands that print tables.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace remix::store {

using SqlValue = std::variant<std::monostate, std::int64_t, double, std::string>;
std::string to_text(const SqlValue& v);
// A number as an integer or a double (0 for NULL or text): engines return integers and reals as they please.
std::int64_t as_int(const SqlValue& v);
double as_double(const SqlValue& v);

struct QueryResult {
  std::vector<std::string> columns;
  std::vector<std::vector<SqlValue>> rows;
};

}  // namespace remix::store
