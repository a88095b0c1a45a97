// Rank placement from the environment and local rank processes (see rank_launch.h).
#include "trial/rank_launch.h"

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <thread>

#include <boost/dll/runtime_symbol_info.hpp>
#include <fmt/format.h>

#include "common/loopback_port.h"
#include "common/process_exit.h"
#include "common/text.h"
#include "remix/errors.h"
#include "train/data_parallel.h"

extern char** environ;

namespace remix::trial {

namespace {

const char* env(const char* name) {
  const char* v = std::getenv(name);
  return v && *v ? v : nullptr;
}

int int_from(const char* name, const char* text, int lowest, int highest = 1 << 20) {
  char* end = nullptr;
  errno = 0;
  long v = std::strtol(text, &end, 10);
  if (errno || *end || v < lowest || v > highest)
    throw UserError(fmt::format("{}={}: expected a whole number from {} to {}", name, text, lowest, highest));
  return static_cast<int>(v);
}

// A TCP port: a larger number would silently wrap to another port.
int port_from(const char* text) { return int_from("MASTER_PORT", text, 1, 65535); }

}  // namespace

RankPlacement rank_placement(int nproc) {
  RankPlacement p;
  const bool torchrun = env("WORLD_SIZE") != nullptr, slurm = !torchrun && env("SLURM_NTASKS") && env("MASTER_ADDR");
  if (torchrun || slurm) {
    if (nproc > 1)
      throw UserError(fmt::format("--nproc {} starts local ranks, but this process already is one ({} is set): launch "
                                  "with one or the other",
                                  nproc, torchrun ? "WORLD_SIZE" : "SLURM_NTASKS"));
    const char *rank = torchrun ? "RANK" : "SLURM_PROCID", *world = torchrun ? "WORLD_SIZE" : "SLURM_NTASKS",
               *local = torchrun ? "LOCAL_RANK" : "SLURM_LOCALID";
    p.world_size = int_from(world, env(world), 1);
    if (!env(rank)) throw UserError(fmt::format("{} is set but {} is not: each rank needs its number", world, rank));
    p.rank = int_from(rank, env(rank), 0);
    if (p.rank >= p.world_size)
      throw UserError(fmt::format("{}={} is not below {}={}", rank, p.rank, world, p.world_size));
    p.local_rank = env(local) ? int_from(local, env(local), 0) : 0;
    if (p.world_size > 1) {
      if (!env("MASTER_ADDR") || !env("MASTER_PORT"))
        throw UserError(fmt::format("{}={} needs MASTER_ADDR and MASTER_PORT: where rank 0 hosts the rendezvous",
                                    world, p.world_size));
      p.master_addr = env("MASTER_ADDR");
      p.master_port = port_from(env("MASTER_PORT"));
    }
    return p;
  }
  if (nproc > 1) {
    train::require_data_parallel(fmt::format("--nproc {}", nproc));
    p.world_size = nproc;
    p.master_port = env("MASTER_PORT") ? port_from(env("MASTER_PORT")) : free_loopback_port();
    p.starts_local_ranks = true;
  }
  return p;
}

LocalRanks::LocalRanks(const RankPlacement& placement, const std::vector<std::string>& args) {
  const std::string program = boost::dll::program_location().string();
  // Each rank computes on its share of the cores this process was given.
  const char* share = env("REMIX_DEFAULT_THREADS");
  int cores = share ? std::atoi(share) : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  int threads = std::max(1, cores / placement.world_size);
  setenv("REMIX_DEFAULT_THREADS", std::to_string(threads).c_str(), 1);  // rank 0's share too
  for (int rank = 1; rank < placement.world_size; ++rank) {
    std::vector<std::string> environment;
    for (char** e = environ; *e; ++e) {
      std::string var(*e);
      bool ours = false;
      for (const char* name : {"RANK=", "WORLD_SIZE=", "LOCAL_RANK=", "MASTER_ADDR=", "MASTER_PORT="})
        ours = ours || text::starts_with(var, name);
      if (!ours) environment.push_back(var);
    }
    environment.push_back(fmt::format("RANK={}", rank));
    environment.push_back(fmt::format("LOCAL_RANK={}", rank));
    environment.push_back(fmt::format("WORLD_SIZE={}", placement.world_size));
    environment.push_back("MASTER_ADDR=" + placement.master_addr);
    environment.push_back(fmt::format("MASTER_PORT={}", placement.master_port));
    std::vector<std::string> argv_strings{program};
    argv_strings.insert(argv_strings.end(), args.begin(), args.end());
    std::vector<char*> argv, envp;
    for (auto& a : argv_strings) argv.push_back(a.data());
    argv.push_back(nullptr);
    for (auto& e : environment) envp.push_back(e.data());
    envp.push_back(nullptr);
    pid_t pid = -1;
    if (int err = posix_spawn(&pid, program.c_str(), nullptr, nullptr, argv.data(), envp.data()))
      throw std::runtime_error(fmt::format("could not start rank {} ({}): {}", rank, program, std::strerror(err)));
    children_.push_back({rank, pid});
  }
}

LocalRanks::~LocalRanks() {
  for (auto& c : children_)
    if (!c.reaped) kill(c.pid, SIGTERM);
  for (auto& c : children_)
    if (!c.reaped) waitpid(c.pid, &c.status, 0);
}

std::string LocalRanks::exits() {
  std::vector<std::string> out;
  for (auto& c : children_) {
    if (!c.reaped && waitpid(c.pid, &c.status, WNOHANG) == c.pid) c.reaped = true;
    if (c.reaped) out.push_back(fmt::format("rank {} (pid {}) {}", c.rank, c.pid, describe_wait_status(c.status)));
  }
  return text::join(out, "; ");
}

bool LocalRanks::wait_all() {
  bool ok = true;
  for (auto& c : children_) {
    if (!c.reaped && waitpid(c.pid, &c.status, 0) == c.pid) c.reaped = true;
    ok = ok && c.reaped && WIFEXITED(c.status) && WEXITSTATUS(c.status) == 0;
  }
  return ok;
}

}  // namespace remix::trial
