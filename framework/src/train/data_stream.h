// Which training examples each step uses. Each row of a step's batch picks a task with probability
// proportional to its weight, then takes that task's next example in a shuffled order that is reshuffled
// every epoch. Everything is a function of the trial seed, the step and the per-task cursors, so the state to
// checkpoint is the cursors alone, and a resumed run sees exactly the batches an uninterrupted one would.
#pragma once

#include <cstdint>
#include <vector>

#include "common/seed_mix.h"
#include "train/task_set.h"

namespace remix::train {

struct ExampleRef {
  std::size_t task = 0, index = 0;  // tasks()[task].train[index]
};

class DataStream {
 public:
  DataStream(const TaskSet& tasks, std::uint64_t seed);
  std::vector<ExampleRef> next_batch(std::int64_t step, std::int64_t batch_size);

  const std::vector<std::int64_t>& cursors() const { return cursors_; }
  void restore(const std::vector<std::int64_t>& cursors);

 private:
  std::size_t index_of(std::size_t task, std::int64_t draw) const;
  std::vector<std::size_t> sizes_;
  std::vector<double> cumulative_;  // cumulative normalised weights of the tasks that train
  std::uint64_t seed_;
  std::vector<std::int64_t> cursors_;  // examples drawn so far, per task
};

}  // namespace remix::train
