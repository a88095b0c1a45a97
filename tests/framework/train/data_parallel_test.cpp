// The c10d layer of data parallelism, with real Gloo process groups over loopback: two ranks as two threads of
// this process (each with its own store connection and group, as two processes would have). Collectives, the
// bucketed gradient averager against the average computed by hand, the trial-key check at rendezvous, an
// unreachable rendezvous, and a rank that goes away while the other waits in a collective. NCCL (GPU ranks) on a
// lent GPU: one rank, as NCCL refuses two ranks on one GPU (tests/gpu/device_check.sh).
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <future>
#include <thread>

#include "common/loopback_port.h"
#include "remix/errors.h"
#include "train/data_parallel.h"

namespace remix::train {
namespace {

#define SKIP_WITHOUT_GLOO() \
  if (!data_parallel_available()) GTEST_SKIP() << "this build has no c10d Gloo backend (libgloo-dev)"

RendezvousOptions options(int rank, int port, std::string key = "trial-key", double timeout = 20) {
  RendezvousOptions o;
  o.rank = rank;
  o.world_size = 2;
  o.master_port = port;
  o.timeout_s = timeout;
  o.trial_key = std::move(key);
  return o;
}

// Runs body(rank) on two threads, each joined as its rank; returns when both are done (rethrowing).
void on_two_ranks(const std::function<void(DataParallel&)>& body) {
  int port = free_loopback_port();
  auto run = [&](int rank) {
    auto dp = DataParallel::join(options(rank, port));
    body(*dp);
  };
  auto other = std::async(std::launch::async, run, 1);
  run(0);
  other.get();
}

// A build without Gloo refuses ranks up front, naming what asked and what to install; one with it lets them through.
TEST(DataParallel, ABuildWithoutABackendRefusesRanksNamingWhatAsked) {
  if (data_parallel_available("cpu") || data_parallel_available("cuda")) {
    EXPECT_NO_THROW(require_data_parallel("--nproc 2"));
    return;
  }
  try {
    require_data_parallel("--nproc 2");
    FAIL() << "expected an EnvironmentError";
  } catch (const EnvironmentError& e) {
    EXPECT_NE(std::string(e.what()).find("--nproc 2 asks for data parallelism"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("libgloo-dev"), std::string::npos) << e.what();
  }
}

// Ranks on a device this build has no backend for are refused when they join, before they wait for each other.
TEST(DataParallel, RanksOnADeviceWithoutABackendAreRefusedNamingIt) {
  if (data_parallel_available("cuda:0")) GTEST_SKIP() << "this build has NCCL";
  auto o = options(0, free_loopback_port());
  o.device = "cuda:0";
  try {
    DataParallel::join(o);
    FAIL() << "joined with no backend for cuda:0";
  } catch (const EnvironmentError& e) {
    EXPECT_NE(std::string(e.what()).find("no c10d backend for cuda:0 ranks"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("--torch pip"), std::string::npos) << e.what();
  }
}

// NCCL on the GPU: every collective with host and device tensors, and the gradient averager on GPU parameters.
TEST(DataParallel, NcclCarriesTheCollectivesOnTheGpu) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device (tests/gpu/device_check.sh runs this on a GPU)";
  if (!data_parallel_available("cuda:0")) GTEST_SKIP() << "this build has no NCCL (its LibTorch's nccl.h not found)";
  auto o = options(0, free_loopback_port());
  o.world_size = 1;
  o.device = "cuda:0";
  auto dp = DataParallel::join(o);
  EXPECT_EQ(dp->backend(), "nccl");
  EXPECT_EQ(dp->sum({1.5, -2}), (std::vector<double>{1.5, -2}));
  auto gathered = dp->all_gather(torch::full({2, 3}, 4.0f));
  EXPECT_TRUE(gathered.device().is_cpu());  // back where it came from
  EXPECT_EQ(gathered.sizes(), (std::vector<std::int64_t>{1, 2, 3}));
  EXPECT_EQ(dp->gather_values({1, 2, 3}), (std::vector<double>{1, 2, 3}));
  auto on_gpu = torch::full({2, 2}, 3.0f, torch::Device("cuda:0")).t();
  dp->broadcast({on_gpu});
  EXPECT_TRUE(on_gpu.eq(3).all().item<bool>());
  auto p = torch::arange(6, torch::TensorOptions().dtype(torch::kFloat).device(torch::Device("cuda:0")))
               .requires_grad_();
  DataParallel::GradientAverager averager(*dp, {p}, /*bucket_elements=*/4);
  averager.arm();
  p.pow(2).sum().backward();
  averager.finish();
  EXPECT_TRUE(torch::allclose(p.grad().cpu(), torch::arange(6, torch::kFloat) * 2));
}

TEST(DataParallel, CollectivesCombineBothRanks) {
  SKIP_WITHOUT_GLOO();
  on_two_ranks([](DataParallel& dp) {
    int r = dp.rank();
    auto sum = dp.sum({1.0 + r, 10.0 * r});
    EXPECT_EQ(sum, (std::vector<double>{3.0, 10.0}));
    auto gathered = dp.all_gather(torch::full({2, 3}, static_cast<float>(r)));
    ASSERT_EQ(gathered.sizes(), (std::vector<std::int64_t>{2, 2, 3}));
    EXPECT_TRUE(gathered[0].eq(0).all().item<bool>() && gathered[1].eq(1).all().item<bool>());
    // Different lengths (rank 1 has none of its own for a moment) come back concatenated in rank order.
    auto values = dp.gather_values(r == 0 ? std::vector<double>{1, 2, 3} : std::vector<double>{});
    EXPECT_EQ(values, (std::vector<double>{1, 2, 3}));
    values = dp.gather_values(r == 0 ? std::vector<double>{1} : std::vector<double>{7, 8});
    EXPECT_EQ(values, (std::vector<double>{1, 7, 8}));
    auto t = torch::full({4}, 5.0f + r), u = torch::full({2, 2}, 1.0f + r).t();  // non-contiguous too
    dp.broadcast({t, u});
    EXPECT_TRUE(t.eq(5).all().item<bool>());
    EXPECT_TRUE(u.eq(1).all().item<bool>());
  });
}

// Each rank's loss differs; after finish() both hold the mean of the two ranks' gradients, whichever bucket
// layout (one parameter per bucket here) and whatever parameter got no gradient.
TEST(DataParallel, GradientAveragerLeavesTheRankMeanInEveryGrad) {
  SKIP_WITHOUT_GLOO();
  auto make_params = [] {  // no random generator: the two rank threads would share torch's default one
    auto values = [](std::int64_t n, double phase) { return torch::arange(n, torch::kFloat).mul(1.3).add(phase).sin(); };
    return std::vector<torch::Tensor>{values(12, 0.1).view({3, 4}).requires_grad_(), values(4, 0.7).requires_grad_(),
                                      values(2, 2.0).requires_grad_()};
  };
  auto loss_of = [](const std::vector<torch::Tensor>& p, int rank) {  // p[2] unused: no gradient reaches it
    auto x = torch::arange(4, torch::kFloat) + rank;
    return (p[0].matmul(x + p[1]).pow(2) * (rank + 1)).sum();
  };
  std::vector<torch::Tensor> expected;
  {
    auto p = make_params();
    (loss_of(p, 0) + loss_of(p, 1)).div(2).backward();
    for (auto& t : p) expected.push_back(t.grad().defined() ? t.grad().clone() : torch::zeros_like(t));
  }
  on_two_ranks([&](DataParallel& dp) {
    auto p = make_params();
    DataParallel::GradientAverager averager(dp, p, /*bucket_elements=*/4);
    EXPECT_EQ(averager.buckets(), 3u);
    for (int step = 0; step < 2; ++step) {  // arming again starts clean
      for (auto& t : p)
        if (t.grad().defined()) t.mutable_grad().zero_();
      averager.arm();
      loss_of(p, dp.rank()).backward();
      averager.finish();
      for (std::size_t i = 0; i < p.size(); ++i)
        EXPECT_TRUE(torch::allclose(p[i].grad(), expected[i], 1e-5, 1e-6)) << "parameter " << i << " rank " << dp.rank();
    }
    // Disarmed, a backward stays local (the precisions after training).
    for (auto& t : p) t.mutable_grad().zero_();
    loss_of(p, dp.rank()).backward();
    EXPECT_FALSE(torch::allclose(p[0].grad(), expected[0]));
  });
}

TEST(DataParallel, RanksOfDifferentTrialsAreRefusedAtRendezvous) {
  SKIP_WITHOUT_GLOO();
  int port = free_loopback_port();
  auto join = [&](int rank, std::string key) -> std::string {
    try {
      DataParallel::join(options(rank, port, key, 10));
      return "joined";
    } catch (const ConfigError& e) {
      return e.what();
    }
  };
  auto other = std::async(std::launch::async, join, 1, "aaaaaaaaaaaaaaaaaa");
  auto mine = join(0, "bbbbbbbbbbbbbbbbbb");
  for (const auto& message : {mine, other.get()}) {
    EXPECT_NE(message.find("same resolved config"), std::string::npos) << message;
    EXPECT_NE(message.find("aaaaaaaaaaaa"), std::string::npos) << message;
    EXPECT_NE(message.find("bbbbbbbbbbbb"), std::string::npos) << message;
  }
}

TEST(DataParallel, AnUnreachableRendezvousIsAnErrorWithinTheTimeoutNotAHang) {
  SKIP_WITHOUT_GLOO();
  auto start = std::chrono::steady_clock::now();
  try {
    DataParallel::join(options(1, free_loopback_port(), "k", 2));
    FAIL() << "joined a rendezvous nobody hosts";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("could not reach the rendezvous at 127.0.0.1:"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("MASTER_ADDR"), std::string::npos) << e.what();
  }
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 30);
}

TEST(DataParallel, ARankThatGoesAwayIsNamedByTheOne) {
  SKIP_WITHOUT_GLOO();
  int port = free_loopback_port();
  std::promise<void> rank1_joined;
  auto leaver = std::async(std::launch::async, [&] {
    auto dp = DataParallel::join(options(1, port));
    dp->sum({1});
    rank1_joined.set_value();
  });  // rank 1's group and heartbeat end here, as when its process dies
  auto dp = DataParallel::join(options(0, port));
  dp->sum({1});
  rank1_joined.get_future().wait();
  leaver.get();
  auto start = std::chrono::steady_clock::now();
  try {
    dp->sum({1});
    FAIL() << "a collective with a rank gone returned";
  } catch (const RankLost& e) {
    EXPECT_NE(std::string(e.what()).find("rank 1 of 2 stopped"), std::string::npos) << e.what();
  }
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 25);
}

}  // namespace
}  // namespace remix::train
