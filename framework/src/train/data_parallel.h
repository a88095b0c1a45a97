// Data parallelism over PyTorch's own distributed engine, c10d (docs/architecture.md §13): the ranks of one trial
// meet at a TCPStore rendezvous, check they run the same trial, and talk through a Gloo process group (CPU ranks) or
// an NCCL one (GPU ranks, a CUDA LibTorch 2.x build).
// The trainer sees ranks, broadcasts, sums, gathers and a gradient averager here; c10d's types stay in
// data_parallel_c10d.h, private to data_parallel.cpp and gradient_averager.cpp. A rank that dies or stops answering turns every other rank's next collective into
// `RankLost`, which names it (each rank beats a counter in the store once a second; the one whose counter
// stopped is named), so a lost rank never hangs the trial.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace remix::train {

struct RendezvousOptions {
  int rank = 0, world_size = 1;
  std::string master_addr = "127.0.0.1";  // where rank 0 listens (MASTER_ADDR)
  int master_port = 29500;                // MASTER_PORT
  double timeout_s = 300;                 // runtime.dist_timeout: rendezvous and every collective
  std::string trial_key;                  // every rank must run the same trial
  std::string device = "cpu";             // this rank's: "cpu" (Gloo) or "cuda:N" (NCCL), trial::rank_device()
};

// Another rank died or a collective timed out: the trial cannot go on, but nothing of it is wrong (its run is
// marked interrupted and resumes from its last checkpoint).
struct RankLost : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The c10d backend this build has for ranks on `device` ("cpu", "cuda", "cuda:N"): "gloo", "nccl", or "" for none.
std::string c10d_backend(const std::string& device);
// True when this build can run data-parallel ranks on `device`; join() refuses a device it cannot.
bool data_parallel_available(const std::string& device = "cpu");
// EnvironmentError naming `asked_by` ("--nproc 2", "WORLD_SIZE=2") and what to install when this build has no c10d
// backend for ranks on `device` (empty: none at all); nothing when it has one. Callers ask before starting anything,
// so no trial fails for it.
void require_data_parallel(const std::string& asked_by, const std::string& device = "");

class DataParallel {
 public:
  // Meets the other ranks (rank 0 hosts the store), compares trial keys (ConfigError naming both when they differ)
  // and creates the process group. UserError when MASTER_ADDR:MASTER_PORT cannot be reached within the timeout.
  static std::unique_ptr<DataParallel> join(const RendezvousOptions& options);
  ~DataParallel();
  DataParallel(const DataParallel&) = delete;
  DataParallel& operator=(const DataParallel&) = delete;

  int rank() const;
  int world_size() const;
  std::string device() const;   // the rank's device, where its collectives' tensors live
  std::string backend() const;  // "gloo" or "nccl"

  // Host tensors travel to the group's device and back where a backend needs it (NCCL reduces device memory only).
  // Every rank's tensors become rank 0's, in place.
  void broadcast(std::vector<torch::Tensor> tensors);
  // Element-wise sum over ranks; every rank gets it.
  std::vector<double> sum(const std::vector<double>& values);
  // The ranks' tensors (equal shapes) stacked along a new first dimension, in rank order.
  torch::Tensor all_gather(const torch::Tensor& local);
  // Every rank's values (any lengths) concatenated in rank order; every rank gets them.
  std::vector<double> gather_values(const std::vector<double>& values);

  // Averages the gradients of `parameters` across ranks as they are produced: each parameter's gradient is
  // copied into its bucket by an autograd hook, and a bucket is all-reduced as soon as it is full, in bucket
  // order, so communication overlaps the rest of the backward. Only while armed (the trainer's step); other
  // backwards (the precisions after training) stay local.
  class GradientAverager {
   public:
    GradientAverager(DataParallel& group, std::vector<torch::Tensor> parameters,
                     std::int64_t bucket_elements = 1 << 22);
    ~GradientAverager();
    void arm();      // before the step's backward
    void finish();   // after it: waits for every bucket and leaves the rank average in each .grad()
    std::size_t buckets() const;

   private:
    struct State;
    std::shared_ptr<State> state_;  // shared with the hooks, which outlive nothing but must not dangle
  };

 private:
  struct Impl;
  explicit DataParallel(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace remix::train
