// SplitMix64 and the stream seeding (see rng.h).
#include "tasks/common/rng.h"

namespace remix::tasks {

namespace {

std::uint64_t mix(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

}  // namespace

Rng::Rng(std::uint64_t seed, std::string_view stream) {
  std::uint64_t h = 0xcbf29ce484222325ULL;  // FNV-1a of the stream name
  for (unsigned char c : stream) h = (h ^ c) * 0x100000001b3ULL;
  state_ = mix(seed ^ mix(h));
}

std::uint64_t Rng::next() {
  state_ += 0x9e3779b97f4a7c15ULL;
  return mix(state_);
}

std::int64_t Rng::uniform(std::int64_t lo, std::int64_t hi) {
  std::uint64_t span = static_cast<std::uint64_t>(hi - lo) + 1;  // 0 means the whole 64-bit range
  if (span == 0) return static_cast<std::int64_t>(next());
  std::uint64_t limit = UINT64_MAX - UINT64_MAX % span;  // reject the incomplete last block: no modulo bias
  std::uint64_t r;
  do r = next();
  while (r >= limit);
  return lo + static_cast<std::int64_t>(r % span);
}

}  // namespace remix::tasks
