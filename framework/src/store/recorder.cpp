// Buffered, batched metric writes (see recorder.h).
#include "store/recorder.h"

#include <algorithm>
#include <cmath>
#include <unordered_map>

#include "common/clock.h"
#include "common/log.h"

namespace remix::store {

MetricsRecorder::MetricsRecorder(Database& db, std::int64_t run_id, std::size_t flush_rows, double flush_seconds)
    : db_(db),
      run_id_(run_id),
      flush_rows_(flush_rows),
      flush_seconds_(flush_seconds),
      last_flush_(now_seconds()),
      insert_(db.prepare("INSERT OR REPLACE INTO metrics (run_id, key, step, value, wall_time) VALUES (?, ?, ?, ?, ?)")),
      upsert_latest_(db.prepare(
          "INSERT INTO latest_metrics (run_id, key, step, value, wall_time) VALUES (?, ?, ?, ?, ?) "
          "ON CONFLICT (run_id, key) DO UPDATE SET step = excluded.step, value = excluded.value, "
          "wall_time = excluded.wall_time WHERE excluded.step >= latest_metrics.step")) {
  buffer_.reserve(std::min<std::size_t>(flush_rows_, 1 << 16));
}

MetricsRecorder::~MetricsRecorder() {
  try {
    flush();
  } catch (const std::exception& e) {
    log::warn("could not write {} buffered metric rows to {}: {}", buffer_.size(), db_.path(), e.what());
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
  // The newest row of each key, so latest_metrics gets one upsert per key per flush.
  std::unordered_map<std::string, const Row*> latest;
  for (const Row& r : buffer_) {
    auto& slot = latest[r.key];
    if (!slot || r.step >= slot->step) slot = &r;
  }
  auto bind_row = [this](Statement& st, const Row& r) {
    st.bind(1, run_id_).bind(2, r.key).bind(3, r.step);
    if (std::isfinite(r.value)) st.bind(4, r.value); else st.bind_null(4);  // SQLite has no NaN
    st.bind(5, r.wall_time);
    st.run();
  };
  Transaction tx(db_);
  for (const Row& r : buffer_) bind_row(insert_, r);
  for (const auto& [key, row] : latest) bind_row(upsert_latest_, *row);
  tx.commit();
  buffer_.clear();
}

}  // namespace remix::store
