// Leveled logging to stderr for the CLI and the framework. Verbosity is process-wide, set once by the CLI
// (--quiet / --verbose); library code only calls the functions below.
#pragma once

#include <fmt/core.h>

#include <string>

namespace remix::log {

enum class Level { Quiet = 0, Info = 1, Debug = 2 };

void set_level(Level level);
Level level();
// A tag in front of every line this process writes from now on (the data-parallel ranks other than 0: "[rank 1] ").
void set_prefix(std::string prefix);
void write(Level at, const char* prefix, const std::string& message);

template <class... Args>
void info(fmt::format_string<Args...> f, Args&&... args) {
  write(Level::Info, "", fmt::format(f, std::forward<Args>(args)...));
}
template <class... Args>
void debug(fmt::format_string<Args...> f, Args&&... args) {
  write(Level::Debug, "debug: ", fmt::format(f, std::forward<Args>(args)...));
}
// Warnings show even with --quiet: they say something about the results.
template <class... Args>
void warn(fmt::format_string<Args...> f, Args&&... args) {
  write(Level::Quiet, "warning: ", fmt::format(f, std::forward<Args>(args)...));
}

}  // namespace remix::log
