// An RFC 4180 CSV reader (MMLU's question,choice0..3,answer files): comma-separated fields, records ended by
// CRLF or LF, fields in double quotes may hold commas, line breaks and doubled quotes (""). Every record
// carries the file:line where it starts. Blank lines are skipped. A quoted field that never closes is a
// DataError at the line where it opened (nothing after it can be read); text after a closing quote is a bad
// record. A quote inside an unquoted field is kept as it is, as Python's csv module does.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tasks/common/bad_records.h"

namespace remix::tasks {

struct CsvRecord {
  std::vector<std::string> fields;
  std::string where;  // "path:line" of the record's first line
};

std::vector<CsvRecord> parse_csv(const std::string& text, const std::string& path, BadRecords& bad);
// The file at `path` (a missing one is a DataError naming it). As for JSONL, the caller checks the fields and
// then calls bad.end_file(path).
std::vector<CsvRecord> read_csv(const std::string& path, BadRecords& bad);

}  // namespace remix::tasks
