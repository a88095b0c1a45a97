// Buffered, batched metric writes (see recorder.h).
#include "store/recorder.h"

#include <algorithm>

#include "common/clock.h"
#include "common/log.h"

namespace remix::store {

MetricsRecorder::MetricsRecorder(ResultsStore& store, std::int64_t run_id, std::size_t flush_rows,
                                 double flush_seconds)
    : store_(store), run_id_(run_id), flush_rows_(flush_rows), flush_seconds_(flush_seconds), last_flush_(now_seconds()) {
  buffer_.reserve(std::min<std::size_t>(flush_rows_, 1 << 16));
}

MetricsRecorder::~MetricsRecorder() {
  try {
    flush();
  } catch (const std::exception& e) {
    log::warn("could not write {} buffered metric rows to {}: {}", buffer_.size(), store_.location(), e.what());
  }
}

void MetricsRecorder::log(const std::string& key, std::int64_t step, double value) {
  double now = now_seconds();
  buffer_.push_back({key, step, value, now});
  if (buffer_.size() >= flush_rows_ || now - last_flush_ >= flush_seconds_) flush();
}

void MetricsRecorder::flush() {
  last_flush_ = now_seconds();
  if (buffer_.empty()) return;
  store_.write_metrics(run_id_, buffer_);
  buffer_.clear();
}

}  // namespace remix::store
