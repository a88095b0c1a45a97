// Heartbeat thread (see heartbeat.h).
#include "sweep/heartbeat.h"

#include <chrono>

#include "common/clock.h"
#include "common/log.h"
#include "store/sqlite.h"

namespace remix::sweep {

Heartbeat::Heartbeat(std::string db_path, std::int64_t run_id, double interval_seconds)
    : db_path_(std::move(db_path)), run_id_(run_id), interval_(interval_seconds), thread_([this] { loop(); }) {}

Heartbeat::~Heartbeat() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void Heartbeat::loop() {
  try {
    store::Database db(db_path_, store::Database::Mode::ReadWrite);
    auto beat = db.prepare("UPDATE runs SET heartbeat = ? WHERE id = ? AND status = 'running'");
    std::unique_lock<std::mutex> lock(mutex_);
    while (!stop_) {
      beat.bind(1, now_seconds()).bind(2, run_id_).run();
      wake_.wait_for(lock, std::chrono::duration<double>(interval_), [this] { return stop_; });
    }
  } catch (const std::exception& e) {
    log::warn("heartbeat of run {} stopped: {}", run_id_, e.what());
  }
}

}  // namespace remix::sweep
