// Rendering tables of results as aligned text, Markdown, CSV or JSON. Cells are JSON values so numbers stay
// numbers in JSON output and are right-aligned in text.
#pragma once

#include <nlohmann/json.hpp>

#include "remix/params.h"
#include "store/query.h"

#include <string>
#include <vector>

namespace remix::report {

enum class TableFormat { Text, Markdown, Csv, Json };

// Parses "table" | "markdown" | "csv" | "json"; throws UserError otherwise.
TableFormat parse_table_format(const std::string& name);

struct Table {
  std::vector<std::string> columns;
  std::vector<std::vector<nlohmann::json>> rows;
};

std::string render(const Table& table, TableFormat format);
// The rows of a query as a table.
Table table_from_query(const store::QueryResult& result);
// A parameter schema as a table: key, type, default, accepted values, doc.
Table table_from_params(const std::vector<ParamSpec>& specs);
// A cell as text: strings verbatim, numbers with up to 6 significant digits, null as "".
std::string cell_text(const nlohmann::json& cell);

}  // namespace remix::report
