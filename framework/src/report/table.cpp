// Table rendering (see table.h).
#include "report/table.h"

#include <fmt/format.h>

#include <algorithm>

#include "config/typed_value.h"
#include "remix/errors.h"

namespace remix::report {

using json = nlohmann::json;

TableFormat parse_table_format(const std::string& name) {
  if (name == "table" || name == "text") return TableFormat::Text;
  if (name == "markdown" || name == "md") return TableFormat::Markdown;
  if (name == "csv") return TableFormat::Csv;
  if (name == "json") return TableFormat::Json;
  throw UserError("unknown format '" + name + "' (expected table, markdown, csv or json)");
}

std::string cell_text(const json& cell) {
  if (cell.is_null()) return "";
  if (cell.is_string()) return cell.get<std::string>();
  if (cell.is_number_float()) return fmt::format("{:.6g}", cell.get<double>());
  return cell.dump();
}

namespace {

std::string csv_escape(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string md_escape(std::string s) {
  std::string out;
  for (char c : s) {
    if (c == '|') out += '\\';
    out += c == '\n' ? ' ' : c;
  }
  return out;
}

std::string render_aligned(const Table& t, bool markdown) {
  std::size_t n = t.columns.size();
  std::vector<std::size_t> width(n, 0);
  std::vector<bool> numeric(n, true);
  std::vector<std::vector<std::string>> cells;
  for (std::size_t c = 0; c < n; ++c) width[c] = t.columns[c].size();
  for (const auto& row : t.rows) {
    std::vector<std::string> r;
    for (std::size_t c = 0; c < n; ++c) {
      const json& v = c < row.size() ? row[c] : json();
      std::string s = markdown ? md_escape(cell_text(v)) : cell_text(v);
      // A multi-line value would break the grid; show its first line.
      if (!markdown) s = s.substr(0, s.find('\n'));
      if (!v.is_number() && !v.is_null()) numeric[c] = false;
      width[c] = std::max(width[c], s.size());
      r.push_back(std::move(s));
    }
    cells.push_back(std::move(r));
  }
  auto line = [&](const std::vector<std::string>& r, bool header) {
    std::string out = markdown ? "|" : "";
    for (std::size_t c = 0; c < n; ++c) {
      bool right = numeric[c] && !header;
      std::string pad(width[c] - std::min(width[c], r[c].size()), ' ');
      std::string cell = right ? pad + r[c] : r[c] + pad;
      out += markdown ? " " + cell + " |" : (c ? "  " : "") + cell;
    }
    if (!markdown) out.erase(out.find_last_not_of(' ') + 1);
    return out + "\n";
  };
  std::string out = line(t.columns, true);
  if (markdown) {
    out += "|";
    for (std::size_t c = 0; c < n; ++c) out += " " + std::string(std::max<std::size_t>(3, width[c]) - 1, '-') + (numeric[c] ? ":" : "-") + " |";
    out += "\n";
  } else {
    std::string rule;
    for (std::size_t c = 0; c < n; ++c) rule += (c ? "  " : "") + std::string(width[c], '-');
    out += rule + "\n";
  }
  for (const auto& r : cells) out += line(r, false);
  return out;
}

}  // namespace

std::string render(const Table& t, TableFormat format) {
  switch (format) {
    case TableFormat::Text: return render_aligned(t, false);
    case TableFormat::Markdown: return render_aligned(t, true);
    case TableFormat::Csv: {
      std::string out;
      for (std::size_t c = 0; c < t.columns.size(); ++c) out += (c ? "," : "") + csv_escape(t.columns[c]);
      out += "\n";
      for (const auto& row : t.rows) {
        for (std::size_t c = 0; c < row.size(); ++c) {
          const json& v = row[c];
          out += (c ? "," : "") + csv_escape(v.is_number_float() ? fmt::format("{}", v.get<double>()) : cell_text(v));
        }
        out += "\n";
      }
      return out;
    }
    case TableFormat::Json: {
      // ordered_json keeps the columns in table order.
      nlohmann::ordered_json rows = nlohmann::ordered_json::array();
      for (const auto& row : t.rows) {
        nlohmann::ordered_json o = nlohmann::ordered_json::object();
        for (std::size_t c = 0; c < t.columns.size() && c < row.size(); ++c)
          o[t.columns[c]] = nlohmann::ordered_json(row[c]);
        rows.push_back(std::move(o));
      }
      return rows.dump(2) + "\n";
    }
  }
  return "";
}

Table table_from_query(const store::QueryResult& result) {
  Table t;
  t.columns = result.columns;
  for (const auto& row : result.rows) {
    std::vector<json> cells;
    for (const auto& v : row) {
      if (auto* i = std::get_if<std::int64_t>(&v)) cells.emplace_back(*i);
      else if (auto* d = std::get_if<double>(&v)) cells.emplace_back(*d);
      else if (auto* s = std::get_if<std::string>(&v)) cells.emplace_back(*s);
      else cells.emplace_back(nullptr);
    }
    t.rows.push_back(std::move(cells));
  }
  return t;
}

Table table_from_params(const std::vector<ParamSpec>& specs) {
  Table t;
  t.columns = {"key", "type", "default", "accepts", "description"};
  for (const auto& s : specs) {
    std::string def = s.default_value ? s.default_value : "(required)";
    t.rows.push_back({s.name, param_type_name(s.type), def, config::describe_accepted(s), s.doc});
  }
  return t;
}

}  // namespace remix::report
