// Deterministic, resumable batch composition (see data_stream.h).
#include "train/data_stream.h"

#include <numeric>
#include <stdexcept>

namespace remix::train {

namespace {

double unit(std::uint64_t& state) { return static_cast<double>(splitmix64(state) >> 11) * 0x1.0p-53; }

}  // namespace

DataStream::DataStream(const TaskSet& tasks, std::uint64_t seed) : seed_(seed) {
  double total = 0;
  for (const auto& t : tasks.tasks()) {
    sizes_.push_back(t.train.size());
    total += t.weight > 0 && !t.train.empty() ? t.weight : 0;
  }
  double acc = 0;
  for (const auto& t : tasks.tasks()) {
    acc += t.weight > 0 && !t.train.empty() ? t.weight / total : 0;
    cumulative_.push_back(acc);
  }
  cursors_.assign(sizes_.size(), 0);
}

std::size_t DataStream::index_of(std::size_t task, std::int64_t draw) const {
  // Position draw % n of a Fisher-Yates shuffle seeded by (seed, task, epoch).
  auto n = static_cast<std::int64_t>(sizes_[task]);
  std::int64_t epoch = draw / n, pos = draw % n;
  std::vector<std::size_t> order(static_cast<std::size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  std::uint64_t state = mix_seed(seed_, task + 1, static_cast<std::uint64_t>(epoch));
  for (std::int64_t i = n - 1; i > 0; --i) {
    auto j = static_cast<std::int64_t>(splitmix64(state) % static_cast<std::uint64_t>(i + 1));
    std::swap(order[static_cast<std::size_t>(i)], order[static_cast<std::size_t>(j)]);
  }
  return order[static_cast<std::size_t>(pos)];
}

std::vector<ExampleRef> DataStream::next_batch(std::int64_t step, std::int64_t batch_size) {
  std::uint64_t state = mix_seed(seed_, 0x5eed, static_cast<std::uint64_t>(step));
  std::vector<ExampleRef> refs;
  for (std::int64_t i = 0; i < batch_size; ++i) {
    double u = unit(state);
    std::size_t task = 0;
    while (task + 1 < cumulative_.size() && (u >= cumulative_[task] || sizes_[task] == 0)) ++task;
    // Rounding can leave u past the last trainable task's bound: take that task.
    while (task > 0 && (sizes_[task] == 0 || cumulative_[task] == cumulative_[task - 1])) --task;
    refs.push_back({task, index_of(task, cursors_[task]++)});
  }
  return refs;
}

void DataStream::restore(const std::vector<std::int64_t>& cursors) {
  if (cursors.size() != cursors_.size())
    throw std::invalid_argument("checkpoint data position has " + std::to_string(cursors.size()) +
                                " task cursors, the trial has " + std::to_string(cursors_.size()) + " tasks");
  cursors_ = cursors;
}

}  // namespace remix::train
