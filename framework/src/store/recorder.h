// Buffered metric logging. `log` appends to memory; a flush hands the buffer to the store in one batch (one
// transaction, latest_metrics moved once per key), which is what makes logging every routing diagnostic at
// every step affordable. Flushes happen when the buffer is full, when `flush_seconds` have passed since the
// last one, on `flush()`, and on destruction.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "store/results_store.h"

namespace remix::store {

class MetricsRecorder {
 public:
  MetricsRecorder(ResultsStore& store, std::int64_t run_id, std::size_t flush_rows = 16384,
                  double flush_seconds = 10.0);
  ~MetricsRecorder();  // flushes; an error there is logged, not thrown
  MetricsRecorder(const MetricsRecorder&) = delete;
  MetricsRecorder& operator=(const MetricsRecorder&) = delete;

  void log(const std::string& key, std::int64_t step, double value);
  // An evaluation's per-example scores behind `metric` (written at once: evaluations are rare).
  void outcomes(const std::string& metric, std::int64_t step, const std::vector<double>& scores) {
    store_.write_outcomes(run_id_, metric, step, scores);
  }
  void flush();
  std::size_t pending() const { return buffer_.size(); }
  std::int64_t run_id() const { return run_id_; }

 private:
  ResultsStore& store_;
  std::int64_t run_id_;
  std::size_t flush_rows_;
  double flush_seconds_;
  double last_flush_;
  std::vector<MetricRow> buffer_;
};

}  // namespace remix::store
