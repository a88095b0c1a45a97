// Reading the fact table and its templates (see fact_table.h).
#include "tasks/knowledge/fact_table.h"

#include <algorithm>
#include <set>

#include "remix/errors.h"
#include "tasks/common/text.h"

namespace remix::tasks::knowledge {

namespace {

struct TsvRow {
  std::vector<std::string> fields;
  std::string where;
};

// The non-blank, non-comment lines of a tab-separated file; the first is the header.
std::vector<TsvRow> read_tsv(const std::string& path, const std::string& what) {
  std::vector<TsvRow> rows;
  auto lines = split(read_text_file(path, what), '\n');
  for (std::size_t i = 0; i < lines.size(); ++i) {
    std::string line = lines[i];
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (trim(line).empty() || line[0] == '#') continue;
    rows.push_back({split(line, '\t'), where(path, static_cast<std::int64_t>(i + 1))});
  }
  if (rows.empty()) throw DataError(what + " " + path + " is empty");
  return rows;
}

void require_fields(const TsvRow& row, std::size_t n) {
  if (row.fields.size() != n)
    throw DataError(row.where + ": expected " + std::to_string(n) + " tab-separated fields, found " +
                    std::to_string(row.fields.size()));
  for (std::size_t i = 0; i < n; ++i)
    if (trim(row.fields[i]).empty()) throw DataError(row.where + ": field " + std::to_string(i + 1) + " is empty");
}

}  // namespace

int FactTable::attribute_index(const std::string& attribute) const {
  auto it = std::find(attributes.begin(), attributes.end(), attribute);
  return it == attributes.end() ? -1 : static_cast<int>(it - attributes.begin());
}

std::vector<std::string> FactTable::values_of(int attribute) const {
  std::set<std::string> values;
  for (const auto& e : entities) values.insert(e.values[static_cast<std::size_t>(attribute)]);
  return {values.begin(), values.end()};
}

FactTable read_fact_table(const std::string& path) {
  auto rows = read_tsv(path, "fact table");
  FactTable table;
  const auto& header = rows[0];
  if (header.fields.size() < 2 || header.fields[0] != "name")
    throw DataError(header.where + ": the header must be 'name' followed by at least one attribute");
  table.attributes.assign(header.fields.begin() + 1, header.fields.end());
  std::set<std::string> names;
  for (std::size_t r = 1; r < rows.size(); ++r) {
    require_fields(rows[r], header.fields.size());
    FactTable::Entity e{rows[r].fields[0], {rows[r].fields.begin() + 1, rows[r].fields.end()}};
    if (!names.insert(e.name).second) throw DataError(rows[r].where + ": entity '" + e.name + "' appears twice");
    table.entities.push_back(std::move(e));
  }
  if (table.entities.empty()) throw DataError("fact table " + path + " has no entities");
  return table;
}

FactTemplates read_fact_templates(const std::string& path, const FactTable& table) {
  auto rows = read_tsv(path, "fact templates");
  if (rows[0].fields != std::vector<std::string>{"attribute", "form", "template"})
    throw DataError(rows[0].where + ": the header must be 'attribute<TAB>form<TAB>template'");
  FactTemplates templates;
  for (std::size_t r = 1; r < rows.size(); ++r) {
    const auto& row = rows[r];
    require_fields(row, 3);
    const std::string &attribute = row.fields[0], &form = row.fields[1], &text = row.fields[2];
    if (table.attribute_index(attribute) < 0)
      throw DataError(row.where + ": the fact table has no attribute '" + attribute + "'");
    if (form != "fact" && form != "question")
      throw DataError(row.where + ": form must be 'fact' or 'question', not '" + form + "'");
    bool has_value = text.find("{value}") != std::string::npos;
    if (text.find("{name}") == std::string::npos || has_value != (form == "fact"))
      throw DataError(row.where + (form == "fact" ? ": a fact template needs {name} and {value}"
                                                  : ": a question template needs {name} and must not give {value}"));
    (form == "fact" ? templates.facts : templates.questions)[attribute].push_back(text);
  }
  return templates;
}

}  // namespace remix::tasks::knowledge
