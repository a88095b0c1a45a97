// The trial process (see trial_runner.h).
#include "trial/trial_runner.h"

#include <sys/prctl.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <thread>

#include <fmt/format.h>

#include "common/interrupt.h"
#include "common/log.h"
#include "common/sha256.h"
#include "config/resolved_config.h"
#include "plugin/registry.h"
#include "remix/errors.h"
#include "store/heartbeat.h"
#include "store/provenance.h"
#include "store/results_store.h"
#include "train/trainer.h"
#include "trial/rank_launch.h"
#include "trial/runtime.h"
#include "trial/trial.h"

namespace remix::trial {

namespace {

// Provenance of the plugins a trial uses: name, version, library path and its sha256.
std::map<std::string, std::string> plugin_tags(const config::ResolvedConfig& cfg) {
  std::map<std::string, std::string> tags;
  std::vector<std::string> blocks{"router"};
  for (const auto& t : cfg.task_names()) blocks.push_back("tasks." + t);
  for (const auto& block : blocks) {
    const auto& p = cfg.plugin(block);
    tags["plugin." + block + ".name"] = p.name;
    tags["plugin." + block + ".version"] = p.version;
    tags["plugin." + block + ".path"] = p.path;
    tags["plugin." + block + ".sha256"] = sha256_file_hex(p.path);
  }
  return tags;
}

// The store the worker just claimed this run in: a database server that is away for a moment (restarting)
// is waited for, with backoff, rather than failing a trial that was about to run.
std::unique_ptr<store::ResultsStore> open_claimed_store(const std::string& location) {
  double wait = 0.5, waited = 0;
  for (;;) {
    try {
      return store::open_store(location, store::Access::ReadWrite);
    } catch (const store::ServerUnavailable& e) {
      if (waited > 120) throw;
      log::warn("{}; trying again in {:.1f} s", e.what(), wait);
      std::this_thread::sleep_for(std::chrono::duration<double>(wait));
      waited += wait;
      wait = std::min(wait * 2, 8.0);
    }
  }
}

config::ResolvedConfig trial_config(const store::RunRecord& run, const TrialRequest& request) {
  return recorded_trial_config(run, request.db_path, request.run_id, request.plugin_paths);
}

train::RendezvousOptions rendezvous(const RankPlacement& p, const config::ResolvedConfig& cfg) {
  train::RendezvousOptions o;
  o.rank = p.rank;
  o.world_size = p.world_size;
  o.master_addr = p.master_addr;
  o.master_port = p.master_port;
  o.timeout_s = cfg.get_float("runtime.dist_timeout");
  o.trial_key = cfg.trial_key();
  o.device = rank_device(cfg, p.local_rank, p.world_size);
  return o;
}

// Ranks 1..N-1: the run's config from the store, the rendezvous, their share of the training; nothing written.
int run_other_rank(const TrialRequest& request, const RankPlacement& placement) {
  auto db = open_claimed_store(request.db_path);
  auto run = db->run(request.run_id);
  if (!run) throw UserError(fmt::format("{}: no run with id {}", request.db_path, request.run_id));
  log::set_prefix(fmt::format("[rank {}] ", placement.rank));
  try {
    auto cfg = trial_config(*run, request);
    auto group = train::DataParallel::join(rendezvous(placement, cfg));
    execute_trial(cfg, *db, request.run_id, group.get());
    return 0;
  } catch (const Interrupted& i) {
    return 128 + i.signal;
  } catch (const train::RankLost& e) {
    log::warn("{}", e.what());
    return 1;
  } catch (const UserError& e) {
    log::warn("{}", e.what());
    return 2;
  }
}

}  // namespace

int run_trial(const TrialRequest& request) {
  // If the worker (or rank 0) that started us dies, end like an interrupted trial (checkpoint, `interrupted`).
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  InterruptGuard interrupt;
  auto placement = rank_placement(request.nproc);
  if (placement.rank != 0) return run_other_rank(request, placement);
  auto db = open_claimed_store(request.db_path);
  auto run = db->run(request.run_id);
  if (!run) throw UserError(fmt::format("{}: no run with id {}", request.db_path, request.run_id));
  db->attach(request.run_id);
  log::info("trial {}: starting (attempt {}, pid {})", run->name, run->attempt, getpid());
  store::Heartbeat heartbeat(request.db_path, request.run_id, 5.0);
  std::unique_ptr<LocalRanks> local_ranks;
  try {
    auto cfg = trial_config(*run, request);
    auto tags = store::provenance_tags();
    tags.merge(plugin_tags(cfg));
    db->record_tags(request.run_id, tags);
    std::unique_ptr<train::DataParallel> group;
    if (placement.world_size > 1) {
      if (placement.starts_local_ranks) local_ranks = std::make_unique<LocalRanks>(placement, request.rank_args);
      log::info("trial {}: rank 0 of {}, rendezvous at {}:{}", run->name, placement.world_size, placement.master_addr,
                placement.master_port);
      group = train::DataParallel::join(rendezvous(placement, cfg));
    }
    TrialOutcome outcome = execute_trial(cfg, *db, request.run_id, group.get());
    if (local_ranks && !local_ranks->wait_all())
      throw train::RankLost("a data-parallel rank did not end cleanly after training: " + local_ranks->exits());
    db->complete(request.run_id);
    log::info("trial {} completed: {}", run->name, outcome.summary);
    return 0;
  } catch (const Interrupted& i) {
    db->interrupt(request.run_id, fmt::format("interrupted by signal {} ({})", i.signal, strsignal(i.signal)));
    return 128 + i.signal;
  } catch (const train::RankLost& e) {  // nothing wrong with the trial: the next run resumes it
    std::string exits = local_ranks ? local_ranks->exits() : "";
    std::string message = exits.empty() ? e.what() : fmt::format("{} [{}]", e.what(), exits);
    db->interrupt(request.run_id, message);
    log::warn("{}", message);
    return 1;
  } catch (const UserError& e) {
    db->fail(request.run_id, e.what());
    log::warn("{}", e.what());
    return 2;
  } catch (const train::NonFiniteLoss& e) {
    db->fail(request.run_id, e.what());
    log::warn("{}", e.what());
    return 1;
  } catch (const std::exception& e) {
    db->fail(request.run_id, std::string("internal error: ") + e.what());
    log::warn("internal error: {}", e.what());
    return 1;
  }
}

config::ResolvedConfig recorded_trial_config(const store::RunRecord& run, const std::string& db, std::int64_t run_id,
                                             const std::vector<std::string>& plugin_paths) {
  return config::resolve_json(nlohmann::json::parse(run.config), fmt::format("{} run {}", db, run_id),
                              plugin::schema_lookup(plugin_paths));
}

}  // namespace remix::trial
