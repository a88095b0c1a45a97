// How big a config may be: one table of limits, generous for real experiments (a large sweep file is a few
// hundred values, a few kilobytes, one or two includes) and small enough that no file, include graph or
// override can exhaust the machine (a YAML alias bomb expands exponentially; a generated file can hold
// millions of keys; an include graph can fan out without a cycle; an override path can nest ten thousand
// levels; a grid of twenty axes multiplies to more trials than memory holds). Each refusal is a ConfigError naming the file (and line where there is one) and the limit.
#pragma once

#include <cstdint>

namespace remix::config {

struct ConfigLimits {
  std::int64_t file_bytes;      // one config file on disk
  std::int64_t nodes;           // values, keys and lists in one loaded config, aliases and includes expanded
  std::int64_t depth;           // nesting of mappings and lists (and parts of an override's key path)
  std::int64_t include_files;   // files one config loads, itself included (a file included twice counts twice)
  std::int64_t include_depth;   // includes of includes
  std::int64_t override_bytes;  // one command-line override
  std::int64_t sweep_trials;    // trials one sweep expands to (grid product, random samples, seeds)
};

inline constexpr ConfigLimits kConfigLimits{
    /*file_bytes=*/1 << 20, /*nodes=*/20000, /*depth=*/64, /*include_files=*/64, /*include_depth=*/16,
    /*override_bytes=*/64 << 10, /*sweep_trials=*/100000};

}  // namespace remix::config
