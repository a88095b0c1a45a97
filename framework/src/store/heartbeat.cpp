// Heartbeat thread (see heartbeat.h).
#include "store/heartbeat.h"

#include <chrono>

#include "common/log.h"
#include "store/results_store.h"

namespace remix::store {

Heartbeat::Heartbeat(std::string location, std::int64_t run_id, double interval_seconds)
    : location_(std::move(location)), run_id_(run_id), interval_(interval_seconds), thread_([this] { loop(); }) {}

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
    auto store = open_store(location_, Access::ReadWrite);
    std::unique_lock<std::mutex> lock(mutex_);
    while (!stop_) {
      store->heartbeat(run_id_);
      wake_.wait_for(lock, std::chrono::duration<double>(interval_), [this] { return stop_; });
    }
  } catch (const std::exception& e) {
    log::warn("heartbeat of run {} stopped: {}", run_id_, e.what());
  }
}

}  // namespace remix::store
