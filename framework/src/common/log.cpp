// Leveled logging to stderr (see log.h).
#include "common/log.h"

#include <atomic>
#include <cstdio>
#include <string>

namespace remix::log {

namespace {
std::atomic<int> g_level{static_cast<int>(Level::Info)};
std::string g_prefix;  // set once, before any thread logs
}

void set_prefix(std::string prefix) { g_prefix = std::move(prefix); }

void set_level(Level level) { g_level = static_cast<int>(level); }
Level level() { return static_cast<Level>(g_level.load()); }

void write(Level at, const char* prefix, const std::string& message) {
  if (static_cast<int>(at) > g_level.load()) return;
  std::fprintf(stderr, "%s%s%s\n", g_prefix.c_str(), prefix, message.c_str());
  std::fflush(stderr);
}

}  // namespace remix::log
