// MMLU reading (see mmlu.h).
#include "tasks/knowledge/mmlu.h"

#include <algorithm>
#include <filesystem>

#include "remix/errors.h"
#include "tasks/common/csv.h"
#include "tasks/common/text.h"

namespace remix::tasks::knowledge {

namespace {

namespace fs = std::filesystem;

// "abstract_algebra_test.csv" -> "abstract_algebra"
std::string subject_of(const fs::path& file) {
  std::string stem = file.stem().string();
  for (const char* split : {"_test", "_dev", "_val", "_train"})
    if (ends_with(stem, split)) return stem.substr(0, stem.size() - std::string(split).size());
  return stem;
}

void read_file(const fs::path& file, BadRecords& bad, std::vector<MultipleChoice>& out) {
  const std::string path = file.string(), subject = subject_of(file);
  auto records = read_csv(path, bad);
  const std::vector<std::string> header = {"question", "choice0", "choice1", "choice2", "choice3", "answer"};
  std::size_t first = !records.empty() && records[0].fields == header ? 1 : 0;
  std::int64_t n = 0;
  for (std::size_t r = first; r < records.size(); ++r) {
    const auto& record = records[r];
    bad.guard([&] {
      if (record.fields.size() != 6)
        throw DataError(record.where + ": an MMLU record has 6 fields (question, 4 choices, answer), this one has " +
                        std::to_string(record.fields.size()));
      std::string answer = trim(record.fields[5]);
      std::int64_t label = answer.size() != 1                     ? -1
                           : answer[0] >= '0' && answer[0] <= '3' ? answer[0] - '0'
                           : answer[0] >= 'A' && answer[0] <= 'D' ? answer[0] - 'A'
                                                                  : -1;
      if (label < 0) throw DataError(record.where + ": answer '" + answer + "' is not 0-3 or A-D");
      MultipleChoice q;
      q.id = "mmlu/" + subject + "/" + std::to_string(n);
      q.question = record.fields[0];
      q.choices.assign(record.fields.begin() + 1, record.fields.begin() + 5);
      q.label = label;
      q.metadata["source"] = record.where;
      q.metadata["subject"] = subject;
      out.push_back(std::move(q));
    });
    ++n;
  }
  bad.end_file(path);
}

}  // namespace

std::vector<MultipleChoice> read_mmlu(const std::string& path, BadRecords& bad) {
  std::vector<MultipleChoice> questions;
  std::error_code ec;
  if (!fs::is_directory(path, ec)) {
    read_file(path, bad, questions);
    return questions;
  }
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(path, ec))
    if (entry.path().extension() == ".csv") files.push_back(entry.path());
  if (files.empty()) throw DataError("no MMLU .csv files in folder " + path);
  std::sort(files.begin(), files.end());
  for (const auto& f : files) read_file(f, bad, questions);
  return questions;
}

}  // namespace remix::tasks::knowledge
