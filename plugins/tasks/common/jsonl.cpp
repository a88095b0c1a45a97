// JSON Lines reading and checked field access (see jsonl.h).
#include "tasks/common/jsonl.h"

#include "remix/errors.h"
#include "tasks/common/text.h"

namespace remix::tasks {

std::vector<JsonRecord> read_jsonl(const std::string& path, BadRecords& bad) {
  std::string text = read_text_file(path);
  std::vector<JsonRecord> records;
  std::int64_t line_no = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto nl = text.find('\n', pos);
    std::string line = text.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
    pos = nl == std::string::npos ? text.size() : nl + 1;
    ++line_no;
    if (trim(line).empty()) continue;
    JsonRecord record;
    record.where = where(path, line_no);
    bool ok = bad.guard([&] {
      try {
        record.value = nlohmann::json::parse(line);
      } catch (const nlohmann::json::parse_error& e) {
        throw DataError(record.where + ": not valid JSON (" + e.what() + ")");
      }
      if (!record.value.is_object()) throw DataError(record.where + ": a record must be a JSON object");
    });
    if (ok) records.push_back(std::move(record));
  }
  return records;
}

const nlohmann::json& field(const JsonRecord& record, const char* name) {
  auto it = record.value.find(name);
  if (it == record.value.end()) throw DataError(record.where + ": record has no field '" + name + "'");
  return *it;
}

std::string string_field(const JsonRecord& record, const char* name) {
  const auto& v = field(record, name);
  if (!v.is_string()) throw DataError(record.where + ": field '" + name + "' is not a string");
  return v.get<std::string>();
}

std::int64_t int_field(const JsonRecord& record, const char* name) {
  const auto& v = field(record, name);
  if (!v.is_number_integer()) throw DataError(record.where + ": field '" + name + "' is not an integer");
  return v.get<std::int64_t>();
}

std::vector<std::string> string_list_field(const JsonRecord& record, const char* name) {
  const auto& v = field(record, name);
  std::vector<std::string> out;
  if (v.is_array())
    for (const auto& item : v)
      if (item.is_string()) out.push_back(item.get<std::string>());
  if (!v.is_array() || out.size() != v.size())
    throw DataError(record.where + ": field '" + name + "' is not a list of strings");
  return out;
}

}  // namespace remix::tasks
