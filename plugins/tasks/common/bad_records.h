// What happens to a malformed record of a data file: by default it stops the task with a DataError that says
// file:line and what is wrong; with `skip_bad_records: true` it is skipped, counted, and reported once per
// file through the task's warn callback, and the count reaches the run's stats as `skipped_records`.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "remix/errors.h"

namespace remix::tasks {

class BadRecords {
 public:
  using Warn = std::function<void(const std::string&)>;
  BadRecords(bool skip, Warn warn) : skip_(skip), warn_(std::move(warn)) {}

  // Runs `parse` for one record. A DataError it throws is rethrown, or (when skipping) counted; returns
  // whether the record was parsed.
  template <class Fn>
  bool guard(Fn&& parse) {
    try {
      parse();
      return true;
    } catch (const DataError& e) {
      skipped(e.what());
      return false;
    }
  }
  // Records one bad record (rethrows as DataError unless skipping).
  void skipped(const std::string& message);
  // Ends one file: warns with the number skipped in it and the first reason.
  void end_file(const std::string& path);

  bool skipping() const { return skip_; }
  std::int64_t total() const { return total_; }

 private:
  bool skip_;
  Warn warn_;
  std::int64_t total_ = 0;
  std::int64_t in_file_ = 0;
  std::string first_in_file_;
};

}  // namespace remix::tasks
