// Reading JSON Lines data files (GSM8K, HumanEval, MBPP, ARC): one JSON object per line, and field access
// whose errors name the field and the record's file:line. A line that is not valid JSON, or not an object,
// is a bad record (see bad_records.h).
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "tasks/common/bad_records.h"

namespace remix::tasks {

struct JsonRecord {
  nlohmann::json value;  // an object
  std::string where;     // "path:line"
};

// Every non-blank line of `path` as a JSON object. A missing file is a DataError naming it. The caller checks
// the fields of each record under the same BadRecords and then calls bad.end_file(path).
std::vector<JsonRecord> read_jsonl(const std::string& path, BadRecords& bad);

// The field `name` of a record; DataError "<where>: record has no field 'name'" when it is absent.
const nlohmann::json& field(const JsonRecord& record, const char* name);
// The same, checked to be a string / an integer / a list of strings (DataError naming the field otherwise).
std::string string_field(const JsonRecord& record, const char* name);
std::int64_t int_field(const JsonRecord& record, const char* name);
std::vector<std::string> string_list_field(const JsonRecord& record, const char* name);

}  // namespace remix::tasks
