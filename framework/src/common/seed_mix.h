// Deterministic 64-bit mixing for everything remix derives from a trial seed (batch order, pretraining windows,
// routing-noise keys): SplitMix64 steps, stable across platforms and standard libraries (unlike std::hash or the
// <random> distributions), so a seed means the same draws on every machine.
#pragma once

#include <cstdint>

namespace remix {

// One SplitMix64 step: advances `state` and returns the next output.
inline std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// A 64-bit mix of its arguments.
inline std::uint64_t mix_seed(std::uint64_t a, std::uint64_t b, std::uint64_t c = 0) {
  std::uint64_t s = a;
  splitmix64(s);
  s ^= b * 0xd6e8feb86659fd93ULL;
  splitmix64(s);
  s ^= c * 0xa0761d6478bd642fULL;
  return splitmix64(s);
}

}  // namespace remix
