// Wall-clock time as Unix seconds (double), the one time format of the results database.
#pragma once

#include <chrono>

namespace remix {

inline double now_seconds() {
  using namespace std::chrono;
  return duration<double>(system_clock::now().time_since_epoch()).count();
}

}  // namespace remix
