// c10d rendezvous, heartbeat and collectives (see data_parallel.h); the gradient averager is in
// gradient_averager.cpp, what this build's c10d has in data_parallel_c10d.h.
#include "train/data_parallel.h"

#include <fmt/format.h>
#include <fmt/ranges.h>  // fmt::join (fmt 11 keeps it here)

#include <chrono>

#include "remix/errors.h"
#include "train/data_parallel_c10d.h"

namespace remix::train {

std::string c10d_backend(const std::string& device) {
#ifdef REMIX_WITH_GLOO
  if (device == "cpu") return "gloo";
#endif
#ifdef REMIX_WITH_NCCL
  if (device.rfind("cuda", 0) == 0) return "nccl";
#endif
  return "";
}

bool data_parallel_available(const std::string& device) { return !c10d_backend(device).empty(); }

namespace {

// What this build lacks for `device`'s ranks, and what gives it.
std::string missing_backend(const std::string& device) {
  if (device == "cpu")
    return "this build of remix has no c10d backend for CPU ranks (Gloo's headers were not found when it was "
           "configured: with Debian's LibTorch install libgloo-dev and run ./setup.sh again; PyPI's LibTorch 2.x "
           "ships no Gloo headers, so use the Debian build for CPU ranks)";
  return fmt::format("this build of remix has no c10d backend for {} ranks (NCCL comes with a CUDA-enabled LibTorch "
                     "2.x whose nccl.h was found when remix was configured: ./setup.sh --torch pip)",
                     device);
}

}  // namespace

void require_data_parallel(const std::string& asked_by, const std::string& device) {
  if (device.empty() ? !data_parallel_available("cpu") && !data_parallel_available("cuda")
                     : !data_parallel_available(device))
    throw EnvironmentError(fmt::format("{} asks for data parallelism, but {}", asked_by,
                                       missing_backend(device.empty() ? "cpu" : device)));
}

#ifndef REMIX_WITH_C10D

std::unique_ptr<DataParallel> DataParallel::join(const RendezvousOptions& o) {
  require_data_parallel(fmt::format("WORLD_SIZE={}", o.world_size), o.device);
  throw std::logic_error("DataParallel::join: a backend without c10d");  // not reached
}
DataParallel::DataParallel(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
DataParallel::~DataParallel() = default;
int DataParallel::rank() const { return 0; }
int DataParallel::world_size() const { return 1; }
std::string DataParallel::device() const { return "cpu"; }
std::string DataParallel::backend() const { return ""; }
void DataParallel::broadcast(std::vector<torch::Tensor>) {}
std::vector<double> DataParallel::sum(const std::vector<double>& v) { return v; }
torch::Tensor DataParallel::all_gather(const torch::Tensor& t) { return t.unsqueeze(0); }
std::vector<double> DataParallel::gather_values(const std::vector<double>& v) { return v; }

#else

namespace {

std::string beat_key(int rank) { return "remix/beat/" + std::to_string(rank); }

c10::intrusive_ptr<c10d::TCPStore> connect_store(const RendezvousOptions& o, bool server, double timeout_s) {
  c10d::TCPStoreOptions so;
  so.port = static_cast<std::uint16_t>(o.master_port);
  so.isServer = server;
  so.numWorkers = server ? c10::optional<std::size_t>(static_cast<std::size_t>(o.world_size)) : c10::nullopt;
  so.waitWorkers = false;
  so.timeout = std::chrono::milliseconds(static_cast<std::int64_t>(timeout_s * 1000));
  return c10::make_intrusive<c10d::TCPStore>(o.master_addr, so);
}

c10::intrusive_ptr<CollectiveGroup> create_group(const RendezvousOptions& o, c10::intrusive_ptr<c10d::Store> store) {
  const auto timeout = std::chrono::milliseconds(static_cast<std::int64_t>(o.timeout_s * 1000));
#ifdef REMIX_WITH_GLOO
  if (o.device == "cpu") {
    auto options = c10d::ProcessGroupGloo::Options::create(timeout);
    bool loopback = o.master_addr == "127.0.0.1" || o.master_addr == "localhost";
    options->devices.push_back(loopback ? c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1")
                                        : c10d::ProcessGroupGloo::createDefaultDevice());
    return c10::make_intrusive<c10d::ProcessGroupGloo>(store, o.rank, o.world_size, options);
  }
#endif
#ifdef REMIX_WITH_NCCL
  if (o.device.rfind("cuda", 0) == 0) {
    // The rank's GPU becomes its current device (NCCL's communicator is made there). A blocking wait makes a
    // collective that outlives the timeout throw here, where RankLost names the lost rank, instead of NCCL's
    // watchdog aborting the process.
    c10::impl::getDeviceGuardImpl(c10::DeviceType::CUDA)->setDevice(torch::Device(o.device));
    setenv("TORCH_NCCL_BLOCKING_WAIT", "1", /*overwrite=*/0);
    auto options = c10d::ProcessGroupNCCL::Options::create();
    options->timeout = timeout;
    return c10::make_intrusive<c10d::ProcessGroupNCCL>(store, o.rank, o.world_size, options);
  }
#endif
  throw std::logic_error("create_group: no backend for " + o.device);  // join() refused it already
}

}  // namespace

DataParallel::Impl::~Impl() {
  {
    std::lock_guard<std::mutex> lock(beat_mutex);
    stopping = true;
  }
  beat_wake.notify_all();
  if (beat.joinable()) beat.join();
}

void DataParallel::Impl::start_heartbeat() {
  beat = std::thread([this] {
    std::unique_lock<std::mutex> lock(beat_mutex);
    while (!stopping) {
      try {
        beat_store->add(beat_key(o.rank), 1);
      } catch (const std::exception&) {
        return;  // the store's host is gone; the next collective says so
      }
      beat_wake.wait_for(lock, std::chrono::seconds(1), [this] { return stopping; });
    }
  });
}

std::string DataParallel::Impl::describe_failure(const std::string& cause) {
  std::vector<std::int64_t> before(o.world_size), after(o.world_size);
  try {
    store->setTimeout(std::chrono::seconds(5));
    for (int r = 0; r < o.world_size; ++r) before[r] = store->add(beat_key(r), 0);
    std::this_thread::sleep_for(std::chrono::milliseconds(2500));
    for (int r = 0; r < o.world_size; ++r) after[r] = store->add(beat_key(r), 0);
  } catch (const std::exception&) {
    return fmt::format("rank 0 of {} (the rendezvous host at {}:{}) is gone; rank {} stops ({})", o.world_size,
                       o.master_addr, o.master_port, o.rank, cause);
  }
  std::vector<std::string> dead;
  for (int r = 0; r < o.world_size; ++r)
    if (r != o.rank && before[r] == after[r]) dead.push_back(std::to_string(r));
  if (!dead.empty())
    return fmt::format("rank {} of {} stopped (no heartbeat for 2.5 s); rank {} stops ({})", fmt::join(dead, ", "),
                       o.world_size, o.rank, cause);
  return fmt::format("a collective among the {} ranks failed or ran past runtime.dist_timeout ({} s) while every "
                     "rank still beats; rank {} stops ({})",
                     o.world_size, o.timeout_s, o.rank, cause);
}

void DataParallel::Impl::wait(const c10::intrusive_ptr<c10d::Work>& work) {
  try {
    work->wait();
  } catch (const std::exception& e) {
    throw RankLost(describe_failure(e.what()));
  }
}

std::unique_ptr<DataParallel> DataParallel::join(const RendezvousOptions& o) {
  require_data_parallel(fmt::format("WORLD_SIZE={}", o.world_size), o.device);  // before any rank waits for this one
  auto impl = std::make_unique<Impl>();
  impl->o = o;
  const std::string where = fmt::format("{}:{}", o.master_addr, o.master_port);
  try {
    impl->store = connect_store(o, o.rank == 0, o.timeout_s);
    impl->beat_store = connect_store(o, false, o.timeout_s);
  } catch (const std::exception& e) {
    throw UserError(fmt::format("rank {} of {}: could not {} the rendezvous at {} within {} s (MASTER_ADDR, "
                                "MASTER_PORT; runtime.dist_timeout): {}",
                                o.rank, o.world_size, o.rank == 0 ? "listen for" : "reach", where, o.timeout_s,
                                e.what()));
  }
  // Every rank must train the same trial: a config that differs between ranks is refused before any step.
  try {
    impl->store->set("remix/trial_key/" + std::to_string(o.rank),
                     std::vector<std::uint8_t>(o.trial_key.begin(), o.trial_key.end()));
    std::vector<std::string> keys;
    for (int r = 0; r < o.world_size; ++r) {
      auto bytes = impl->store->get("remix/trial_key/" + std::to_string(r));
      keys.emplace_back(bytes.begin(), bytes.end());
    }
    // Nobody leaves (rank 0 would take the store with it) before every rank has read every key.
    if (impl->store->add("remix/trial_keys_read", 1) == o.world_size)
      impl->store->set("remix/trial_keys_all_read", std::vector<std::uint8_t>{1});
    impl->store->wait({"remix/trial_keys_all_read"});
    for (int r = 0; r < o.world_size; ++r)
      if (keys[r] != o.trial_key)
        throw ConfigError(fmt::format("rank {} runs trial {} but rank {} runs trial {}: every rank of a data-parallel "
                                      "trial needs the same resolved config",
                                      r, keys[r].substr(0, 12), o.rank, o.trial_key.substr(0, 12)));
  } catch (const UserError&) {
    throw;
  } catch (const std::exception& e) {
    throw UserError(fmt::format("rank {} of {}: the other ranks did not all arrive at the rendezvous at {} within {} s "
                                "(runtime.dist_timeout; WORLD_SIZE): {}",
                                o.rank, o.world_size, where, o.timeout_s, e.what()));
  }
  impl->device = torch::Device(o.device);
  impl->group = create_group(o, c10::make_intrusive<c10d::PrefixStore>("remix/c10d", impl->store));
  impl->start_heartbeat();
  return std::unique_ptr<DataParallel>(new DataParallel(std::move(impl)));
}

DataParallel::DataParallel(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
DataParallel::~DataParallel() = default;
int DataParallel::rank() const { return impl_->o.rank; }
int DataParallel::world_size() const { return impl_->o.world_size; }
std::string DataParallel::device() const { return impl_->o.device; }
std::string DataParallel::backend() const { return c10d_backend(impl_->o.device); }

void DataParallel::broadcast(std::vector<torch::Tensor> tensors) {
  torch::NoGradGuard no_grad;
  for (auto& t : tensors) {
    std::vector<at::Tensor> one{t.to(impl_->device).contiguous()};  // t itself when it is already such
    impl_->wait(impl_->group->broadcast(one));
    if (!one[0].is_same(t)) t.copy_(one[0]);
  }
}

std::vector<double> DataParallel::sum(const std::vector<double>& values) {
  std::vector<at::Tensor> t{torch::tensor(values, torch::kDouble).to(impl_->device)};
  impl_->wait(impl_->group->allreduce(t));
  auto host = t[0].cpu();
  return {host.data_ptr<double>(), host.data_ptr<double>() + host.numel()};
}

torch::Tensor DataParallel::all_gather(const torch::Tensor& local) {
  std::vector<at::Tensor> in{local.detach().to(impl_->device).contiguous()};
  std::vector<std::vector<at::Tensor>> out(1);
  for (int r = 0; r < world_size(); ++r) out[0].push_back(torch::empty_like(in[0]));
  impl_->wait(impl_->group->allgather(out, in));
  return torch::stack(out[0]).to(local.device());
}

std::vector<double> DataParallel::gather_values(const std::vector<double>& values) {
  auto lengths = all_gather(torch::tensor({static_cast<std::int64_t>(values.size())}, torch::kLong));
  auto longest = lengths.max().item<std::int64_t>();
  auto padded = torch::zeros({longest}, torch::kDouble);
  if (!values.empty())
    padded.narrow(0, 0, static_cast<std::int64_t>(values.size())).copy_(torch::tensor(values, torch::kDouble));
  auto all = all_gather(padded);
  std::vector<double> out;
  for (int r = 0; r < world_size(); ++r) {
    auto row = all[r].narrow(0, 0, lengths[r][0].item<std::int64_t>()).contiguous();
    out.insert(out.end(), row.data_ptr<double>(), row.data_ptr<double>() + row.numel());
  }
  return out;
}

#endif

}  // namespace remix::train
