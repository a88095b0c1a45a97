// The claim-and-run loop of a sweep worker (see worker.h).
#include "sweep/worker.h"

#include <boost/dll/runtime_symbol_info.hpp>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <memory>
#include <set>
#include <thread>

#include <fmt/format.h>

#include "common/interrupt.h"
#include "common/library_environment.h"
#include "common/process_exit.h"
#include "common/log.h"
#include "sweep/trial_process.h"

namespace remix::sweep {

namespace {

// A trial process that died without recording its end: a crash fails the trial; a kill (by a user, the OOM
// killer or a scheduler) leaves it interrupted, so re-running the sweep resumes it from its checkpoint.
void record_unfinished(store::ResultsStore& store, const TrialProcess& p) {
  auto run = store.run(p.run_id());
  if (!run || run->status != "running") return;  // the trial recorded its own end
  int s = p.exit_status();
  bool killed = s == -SIGKILL || s == -SIGTERM || s == -SIGINT || s == 128 + SIGTERM || s == 128 + SIGINT;
  if (killed) store.interrupt(p.run_id(), "trial process " + describe_exit(s), p.stderr_tail());
  else store.fail(p.run_id(), "trial process " + describe_exit(s), p.stderr_tail());
}

}  // namespace

WorkerSummary run_worker(store::ResultsStore& store, const WorkerOptions& o) {
  std::string program = boost::dll::program_location().string();
  if (auto slow_kernel = blas_core_warning(); !slow_kernel.empty()) log::warn("{}", slow_kernel);  // once per worker
  InterruptGuard interrupt;
  WorkerSummary summary;
  std::vector<std::unique_ptr<TrialProcess>> running;
  std::set<std::int64_t> attempted;  // a trial that failed or was stopped is not retried by the same worker
  bool forwarded = false;
  if (o.retry_failed) {
    int n = store.requeue_failed(o.sweep_id, o.shard);
    if (n) log::info("retrying {} failed trial{}", n, n == 1 ? "" : "s");
  }
  // Trials running side by side share the cores instead of each taking all of them (runtime.threads: 0).
  unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  // A launcher's ranks run on cores of their own, which the job script states (REMIX_DEFAULT_THREADS); only a
  // missing share is filled in.
  setenv("REMIX_DEFAULT_THREADS", std::to_string(std::max(1u, cores / static_cast<unsigned>(o.jobs))).c_str(),
         o.launcher.empty() ? 1 : 0);
  std::vector<std::string> trial_args = o.trial_args;
  if (o.nproc > 1) trial_args.insert(trial_args.end(), {"--nproc", std::to_string(o.nproc)});
  for (;;) {
    int sig = InterruptGuard::pending();
    if (sig && !forwarded) {  // stop claiming; let the running trials checkpoint and end
      summary.signal = sig;
      for (auto& p : running) p->signal(SIGTERM);
      forwarded = true;
    }
    while (!sig && static_cast<int>(running.size()) < o.jobs) {
      auto trial = store.claim({o.sweep_id, o.shard, o.stale_seconds, attempted, trial_process_alive});
      if (!trial) break;
      attempted.insert(trial->run_id);
      log::info("trial {} ({}), attempt {}", trial->name, trial->run_key.substr(0, 12), trial->attempt);
      std::vector<std::string> args = {"trial", "--db", store.location(), "--run-id", std::to_string(trial->run_id)};
      args.insert(args.end(), trial_args.begin(), trial_args.end());
      std::string spawned = program;
      if (!o.launcher.empty()) {  // launcher args..., this program, its trial args
        args.insert(args.begin(), program);
        args.insert(args.begin(), o.launcher.begin() + 1, o.launcher.end());
        spawned = o.launcher.front();
      }
      running.push_back(std::make_unique<TrialProcess>(spawned, args, o.jobs > 1 ? trial->name : "", trial->run_id));
    }
    if (running.empty()) break;
    for (auto it = running.begin(); it != running.end();) {
      if ((*it)->poll(running.size() == 1 ? 200 : 50)) {
        ++it;
        continue;
      }
      record_unfinished(store, **it);
      auto run = store.run((*it)->run_id());
      std::string status = run ? run->status : "?";
      if (status == "completed") ++summary.completed;
      else if (status == "interrupted") ++summary.interrupted;
      else ++summary.failed;
      if (status != "completed") {
        summary.last_exit_code = (*it)->exit_status() < 0 ? 128 - (*it)->exit_status() : (*it)->exit_status();
        log::warn("trial {} {}: {}", run ? run->name : "?", status, run ? run->error : "");
      }
      it = running.erase(it);
    }
  }
  return summary;
}

}  // namespace remix::sweep
