// Reading MMLU csv (github.com/hendrycks/test; one file per subject, "<subject>_<split>.csv"). Each record is
// question,choice0,choice1,choice2,choice3,answer. Two layouts exist and both are read: the original release
// (data.tar: no header row, answer a letter A-D) and the common re-export with a header row
// "question,choice0,choice1,choice2,choice3,answer" and a 0-based answer index 0-3 (the copy in
// ../shared/datasets/mmlu is the latter). Fields are RFC 4180 (quoted commas, quotes and line breaks; see
// common/csv.h). A path may be one file or a folder, whose *.csv files are read in name order. Bad records:
// not 6 fields, an answer that is not 0-3 or A-D.
#pragma once

#include <string>
#include <vector>

#include "tasks/common/bad_records.h"
#include "tasks/knowledge/multiple_choice.h"

namespace remix::tasks::knowledge {

// Questions get the id "mmlu/<subject>/<n>" (n counts from 0 within the file) and metadata source and subject.
std::vector<MultipleChoice> read_mmlu(const std::string& path, BadRecords& bad);

}  // namespace remix::tasks::knowledge
