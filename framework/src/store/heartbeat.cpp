// Heartbeat thread (see heartbeat.h).
#include "store/heartbeat.h"

#include <chrono>

#include "common/log.h"
#include <memory>

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
  // A beat that fails (a database server away for a while) is tried again at the next one, on a new connection:
  // a trial must not go stale, and be run a second time elsewhere, because its store blinked.
  std::unique_ptr<ResultsStore> store;
  bool failing = false;
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stop_) {
    try {
      if (!store) store = open_store(location_, Access::ReadWrite);
      store->heartbeat(run_id_);
      if (failing) log::info("heartbeat of run {} is back", run_id_);
      failing = false;
    } catch (const std::exception& e) {
      if (!failing) log::warn("heartbeat of run {} failed (trying again): {}", run_id_, e.what());
      failing = true;
      store.reset();
    }
    wake_.wait_for(lock, std::chrono::duration<double>(interval_), [this] { return stop_; });
  }
}

}  // namespace remix::store
