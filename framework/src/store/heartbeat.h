// A running trial's heartbeat: a background thread with its own connection to the store calls
// ResultsStore::heartbeat every few seconds, whatever the training loop is doing (a long evaluation included).
// A worker that finds a `running` trial with a stale heartbeat knows its process is gone and claims it again.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

namespace remix::store {

class Heartbeat {
 public:
  // `location` is the store's (open_store); the thread opens its own connection to it.
  Heartbeat(std::string location, std::int64_t run_id, double interval_seconds);
  ~Heartbeat();
  Heartbeat(const Heartbeat&) = delete;
  Heartbeat& operator=(const Heartbeat&) = delete;

 private:
  void loop();
  std::string location_;
  std::int64_t run_id_;
  double interval_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace remix::store
