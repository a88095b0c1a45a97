// DataParallel::GradientAverager (see data_parallel.h): gradients copied into buckets by autograd hooks as backward
// produces them, each bucket all-reduced as soon as it is full, the rank average left in every .grad().
#include "train/data_parallel.h"

#include <algorithm>
#include <mutex>

#include "train/data_parallel_c10d.h"

namespace remix::train {

#ifndef REMIX_WITH_C10D

struct DataParallel::GradientAverager::State {};
DataParallel::GradientAverager::GradientAverager(DataParallel&, std::vector<torch::Tensor>, std::int64_t) {}
DataParallel::GradientAverager::~GradientAverager() = default;
void DataParallel::GradientAverager::arm() {}
void DataParallel::GradientAverager::finish() {}
std::size_t DataParallel::GradientAverager::buckets() const { return 0; }

#else

struct DataParallel::GradientAverager::State {
  struct Bucket {
    torch::Tensor flat;
    std::vector<std::size_t> params;      // indices into State::params
    std::vector<std::int64_t> offsets;    // of each param in flat
    std::size_t arrived = 0;
    c10::intrusive_ptr<c10d::Work> work;  // set once launched
  };
  DataParallel* group = nullptr;
  std::vector<torch::Tensor> params;
  std::vector<std::size_t> bucket_of, slot_of;
  std::vector<std::uint8_t> seen;
  std::vector<Bucket> buckets;
  std::size_t next_launch = 0;
  bool armed = false;
  std::mutex mutex;

  void launch_ready() {  // in bucket order on every rank, so the ranks' collectives pair up
    while (next_launch < buckets.size() && buckets[next_launch].arrived == buckets[next_launch].params.size()) {
      std::vector<at::Tensor> one{buckets[next_launch].flat};
      buckets[next_launch].work = group->impl_->group->allreduce(one);
      ++next_launch;
    }
  }

  void on_grad(std::size_t i, const torch::Tensor& grad) {
    std::lock_guard<std::mutex> lock(mutex);
    if (!armed || seen[i]) return;
    auto& b = buckets[bucket_of[i]];
    b.flat.narrow(0, b.offsets[slot_of[i]], grad.numel()).copy_(grad.detach().reshape(-1));
    seen[i] = 1;
    ++b.arrived;
    launch_ready();
  }
};

DataParallel::GradientAverager::GradientAverager(DataParallel& group, std::vector<torch::Tensor> parameters,
                                                 std::int64_t bucket_elements)
    : state_(std::make_shared<State>()) {
  auto& s = *state_;
  s.group = &group;
  s.params = std::move(parameters);
  s.bucket_of.resize(s.params.size());
  s.slot_of.resize(s.params.size());
  s.seen.assign(s.params.size(), 0);
  // Backward produces the last layers' gradients first: buckets are filled from the last parameter backwards.
  std::vector<std::vector<std::size_t>> groups(1);
  std::int64_t filled = 0;
  for (std::size_t j = s.params.size(); j-- > 0;) {
    TORCH_CHECK(s.params[j].scalar_type() == s.params[0].scalar_type(), "GradientAverager: one dtype expected");
    if (filled > 0 && filled + s.params[j].numel() > bucket_elements) {
      groups.emplace_back();
      filled = 0;
    }
    groups.back().push_back(j);
    filled += s.params[j].numel();
  }
  for (const auto& members : groups) {
    if (members.empty()) continue;
    State::Bucket b;
    std::int64_t size = 0;
    for (auto j : members) {
      s.bucket_of[j] = s.buckets.size();
      s.slot_of[j] = b.params.size();
      b.params.push_back(j);
      b.offsets.push_back(size);
      size += s.params[j].numel();
    }
    b.flat = torch::zeros({size}, s.params[members[0]].options().requires_grad(false));
    s.buckets.push_back(std::move(b));
  }
  std::weak_ptr<State> weak = state_;
  for (std::size_t j = 0; j < s.params.size(); ++j)
    s.params[j].register_hook([weak, j](const torch::Tensor& grad) {
      if (auto state = weak.lock()) state->on_grad(j, grad);
    });
}

DataParallel::GradientAverager::~GradientAverager() = default;  // the hooks hold a weak pointer and go quiet

std::size_t DataParallel::GradientAverager::buckets() const { return state_->buckets.size(); }

void DataParallel::GradientAverager::arm() {
  auto& s = *state_;
  std::lock_guard<std::mutex> lock(s.mutex);
  for (auto& b : s.buckets) {
    b.flat.zero_();
    b.arrived = 0;
    b.work.reset();
  }
  std::fill(s.seen.begin(), s.seen.end(), 0);
  s.next_launch = 0;
  s.armed = true;
}

void DataParallel::GradientAverager::finish() {
  auto& s = *state_;
  std::unique_lock<std::mutex> lock(s.mutex);
  s.armed = false;
  // A parameter no gradient reached this step (its bucket slice stays zero) must not keep its bucket back.
  for (auto& b : s.buckets) b.arrived = b.params.size();
  s.launch_ready();
  torch::NoGradGuard no_grad;
  const double world = s.group->world_size();
  for (auto& b : s.buckets) {
    s.group->impl_->wait(b.work);
    b.flat.div_(world);
    for (std::size_t slot = 0; slot < b.params.size(); ++slot) {
      auto& p = s.params[b.params[slot]];
      auto averaged = b.flat.narrow(0, b.offsets[slot], p.numel()).view(p.sizes());
      if (p.grad().defined())
        p.mutable_grad().copy_(averaged);
      else
        p.mutable_grad() = averaged.clone();
    }
  }
}

#endif

}  // namespace remix::train
