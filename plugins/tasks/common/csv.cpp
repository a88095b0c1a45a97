// RFC 4180 CSV parsing (see csv.h). A small state machine over the bytes: outside quotes a comma ends a
// field and CR LF / LF ends a record; inside quotes everything is data except a quote, which either doubles
// (a literal quote) or closes the field.
#include "tasks/common/csv.h"

#include "remix/errors.h"
#include "tasks/common/text.h"

namespace remix::tasks {

std::vector<CsvRecord> parse_csv(const std::string& text, const std::string& path, BadRecords& bad) {
  std::vector<CsvRecord> records;
  std::int64_t line = 1;
  std::size_t i = 0, n = text.size();
  while (i < n) {
    CsvRecord record;
    record.where = where(path, line);
    std::string error;  // the first problem of this record; the record is still read to its end
    std::string field;
    bool ended = false;
    while (!ended) {
      field.clear();
      if (i < n && text[i] == '"') {
        std::int64_t opened = line;
        ++i;
        for (;;) {
          if (i >= n) throw DataError(where(path, opened) + ": quoted field is never closed (not valid CSV)");
          char c = text[i++];
          if (c == '"') {
            if (i < n && text[i] == '"') {
              field += '"';
              ++i;
              continue;
            }
            break;
          }
          if (c == '\n') ++line;
          field += c;
        }
        // After the closing quote: a separator, a line break or the end of the file.
        if (i < n && text[i] != ',' && text[i] != '\n' && !(text[i] == '\r' && i + 1 < n && text[i + 1] == '\n')) {
          if (error.empty()) error = where(path, line) + ": text after the closing quote of a field (not valid CSV)";
          while (i < n && text[i] != ',' && text[i] != '\n') field += text[i++];
        }
      } else {
        while (i < n && text[i] != ',' && text[i] != '\n') field += text[i++];
        if (!field.empty() && field.back() == '\r' && (i >= n || text[i] == '\n')) field.pop_back();
      }
      if (i < n && text[i] == '\r') ++i;  // the CR of a CR LF after a quoted field
      record.fields.push_back(field);
      if (i >= n) {
        ended = true;
      } else if (text[i++] == '\n') {
        ++line;
        ended = true;
      }
    }
    bool blank = record.fields.size() == 1 && record.fields[0].empty();
    if (blank) continue;
    bool ok = bad.guard([&] {
      if (!error.empty()) throw DataError(error);
    });
    if (ok) records.push_back(std::move(record));
  }
  return records;
}

std::vector<CsvRecord> read_csv(const std::string& path, BadRecords& bad) {
  return parse_csv(read_text_file(path), path, bad);
}

}  // namespace remix::tasks
