// The seeded generator behind all built-in data, splits and few-shot picks. It is fully specified here
// (SplitMix64, unbiased bounded integers by rejection, Fisher-Yates) rather than std::mt19937 with the std
// distributions, whose results differ between standard libraries, so a seed gives the same data everywhere.
// Independent streams come from (seed, name): "eval", "train", "few-shot:<id>" never share draws.
#pragma once

#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

namespace remix::tasks {

class Rng {
 public:
  Rng(std::uint64_t seed, std::string_view stream);
  std::uint64_t next();
  // Uniform in [lo, hi], both inclusive (lo <= hi).
  std::int64_t uniform(std::int64_t lo, std::int64_t hi);
  // Uniform index in [0, n) (n > 0).
  std::size_t index(std::size_t n) { return static_cast<std::size_t>(uniform(0, static_cast<std::int64_t>(n) - 1)); }
  template <class T>
  const T& pick(const std::vector<T>& items) {
    return items[index(items.size())];
  }
  template <class T>
  void shuffle(std::vector<T>& items) {
    for (std::size_t i = items.size(); i > 1; --i) std::swap(items[i - 1], items[index(i)]);
  }

 private:
  std::uint64_t state_;
};

}  // namespace remix::tasks
