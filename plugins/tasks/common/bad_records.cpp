// Bad-record accounting (see bad_records.h).
#include "tasks/common/bad_records.h"

namespace remix::tasks {

void BadRecords::skipped(const std::string& message) {
  if (!skip_) throw DataError(message + " (set skip_bad_records: true to skip such records)");
  if (in_file_ == 0) first_in_file_ = message;
  ++in_file_;
  ++total_;
}

void BadRecords::end_file(const std::string& path) {
  if (in_file_ > 0 && warn_)
    warn_("skipped " + std::to_string(in_file_) + " bad record" + (in_file_ == 1 ? "" : "s") + " of " + path +
          " (skip_bad_records is true); the first: " + first_in_file_);
  in_file_ = 0;
  first_in_file_.clear();
}

}  // namespace remix::tasks
