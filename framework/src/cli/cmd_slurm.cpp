// `remix slurm FILE [overrides] [--array N --partition P --time T --gpus G --cpus C --jobs J --nproc R --nodes K
//  --gpus-per-node G]`:
// registers the experiment's trials as a sweep in its database (as `remix run` does before it works), then prints an
// sbatch array script whose every task runs `remix worker` on that sweep. Workers claim trials atomically, so the
// array size only sets how many run at once; re-submitting the script is the resume. Paths in the script are
// absolute: Slurm starts tasks in whatever folder it likes. With --nodes K each array task holds K nodes and runs
// every trial it claims on all of them: R ranks per node (--nproc), started by `srun` with the rendezvous on the
// allocation's first node (c10d over TCP; Gloo: CPU ranks). With --gpus-per-node G every node runs G ranks, one per
// GPU, each on cuda:SLURM_LOCALID (NCCL).
#include <fmt/core.h>

#include <filesystem>
#include <memory>
#include <regex>

#include <boost/dll/runtime_symbol_info.hpp>

#include "cli/commands.h"
#include "cli/plan_experiment.h"
#include "remix/errors.h"
#include "store/results_store.h"
#include "sweep/registration.h"

namespace remix::cli {

namespace {

namespace fs = std::filesystem;

struct SlurmOptions {
  std::string file;
  std::vector<std::string> overrides;
  int array = 4, cpus = 2, gpus = 0, jobs = 1, nproc = 1, nodes = 1, gpus_per_node = 0;
  std::string partition, time, output_dir;
};

// Single-quoted for bash.
std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

void check(const SlurmOptions& o) {
  // Slurm's time formats: minutes, MM:SS, HH:MM:SS, D-HH, D-HH:MM, D-HH:MM:SS.
  static const std::regex time_format(R"(^(\d+|\d+:\d{2}|\d+:\d{2}:\d{2}|\d+-\d+|\d+-\d+:\d{2}|\d+-\d+:\d{2}:\d{2})$)");
  if (!o.time.empty() && !std::regex_match(o.time, time_format))
    throw UserError(fmt::format("--time '{}': not a Slurm time (minutes, HH:MM:SS or D-HH:MM:SS)", o.time));
  if (o.cpus < o.jobs * o.nproc)
    throw UserError(fmt::format("--cpus {}: fewer cores than the {} processes a task runs (--jobs {} x --nproc {} "
                                "ranks)",
                                o.cpus, o.jobs * o.nproc, o.jobs, o.nproc));
  if (o.gpus_per_node > 0 && o.nproc != o.gpus_per_node)
    throw UserError(fmt::format("--nproc {} with --gpus-per-node {}: each GPU takes one rank, so a node runs {} ranks",
                                o.nproc, o.gpus_per_node, o.gpus_per_node));
  if (o.nodes > 1 && o.jobs > 1)
    throw UserError(fmt::format("--nodes {}: each trial spans the task's {} nodes, so a task runs one trial at a time; "
                                "drop --jobs {} (use --array for trials side by side)",
                                o.nodes, o.nodes, o.jobs));
  if (o.gpus_per_node > 0 && o.gpus > 0)
    throw UserError(fmt::format("--gpus {} with --gpus-per-node {}: --gpus gives a one-process task its GPUs, "
                                "--gpus-per-node one rank per GPU; keep one of them",
                                o.gpus, o.gpus_per_node));
  if (o.nodes > 1 && o.gpus > 0)
    throw UserError(fmt::format("--nodes {} with --gpus {}: ranks across nodes each take one GPU; use "
                                "--gpus-per-node {} (one rank per GPU)",
                                o.nodes, o.gpus, o.gpus));
  if (o.gpus_per_node > 0 && o.jobs > 1)
    throw UserError(fmt::format("--gpus-per-node {}: each trial takes all of a node's GPUs, so a task runs one trial "
                                "at a time; drop --jobs {} (use --array for trials side by side)",
                                o.gpus_per_node, o.jobs));
  static const std::regex name_format(R"(^[A-Za-z0-9_.,-]+$)");
  if (!o.partition.empty() && !std::regex_match(o.partition, name_format))
    throw UserError(fmt::format("--partition '{}': not a partition name", o.partition));
}

// GPU ranks are what --gpus-per-node pays for: a trial that would leave them idle on the CPU, or put every rank on
// one GPU, is refused before the sweep is registered.
void check_gpu_trials(const SlurmOptions& o, const std::vector<sweep::ResolvedTrial>& trials) {
  for (const auto& t : trials) {
    auto device = t.config.get_string("runtime.device");
    if (device != "cuda" && device != "auto")
      throw ConfigError(fmt::format("--gpus-per-node {}: trial '{}' has runtime.device: {}, but its ranks each take "
                                    "one GPU (cuda:SLURM_LOCALID); set runtime.device: cuda",
                                    o.gpus_per_node, t.spec.name, device));
  }
}

int print_slurm_script(const GlobalOptions& g, SlurmOptions o) {
  if (o.gpus_per_node > 0 && o.nproc == 1) o.nproc = o.gpus_per_node;  // one rank per GPU
  check(o);
  auto planned = plan_experiment(g, o.file, o.overrides, RunsOn::OtherMachines);
  if (o.gpus_per_node > 0) check_gpu_trials(o, planned.trials);
  auto store = store::open_store(planned.location, store::Access::Create);
  auto sweep = sweep::register_sweep(*store, planned.plan, planned.trials);
  // A database server is reached by its URI (its password stays out of the script: PGPASSWORD, exported by
  // sbatch, or ~/.pgpass); a file by its absolute path. Logs go beside a file, or under experiment.output_dir.
  const bool server = store::is_server_location(planned.location);
  auto output_dir = planned.trials.front().config.get_string("experiment.output_dir");
  std::string db = server ? store->location() : fs::absolute(planned.location).lexically_normal().string();
  fs::path default_logs = server ? fs::path(output_dir) / "slurm" : fs::path(planned.location).parent_path() / "slurm";
  std::string logs = fs::absolute(o.output_dir.empty() ? default_logs : fs::path(o.output_dir)).lexically_normal().string();
  std::string remix = boost::dll::program_location().string();

  std::string script = "#!/bin/bash\n";
  script += fmt::format("#SBATCH --job-name=remix-{}\n", std::regex_replace(sweep.name, std::regex("[^A-Za-z0-9_.-]+"), "_"));
  script += fmt::format("#SBATCH --array=0-{}\n", o.array - 1);
  const bool multi_node = o.nodes > 1 || o.gpus_per_node > 0;  // ranks started by srun, one Slurm task each
  if (multi_node) {  // a task per rank: srun places them, --cpus cores per node shared by its ranks
    script += fmt::format("#SBATCH --nodes={}\n#SBATCH --ntasks-per-node={}\n", o.nodes, o.nproc);
    script += fmt::format("#SBATCH --cpus-per-task={}\n", o.cpus / o.nproc);
  } else {
    script += "#SBATCH --ntasks=1\n";
    script += fmt::format("#SBATCH --cpus-per-task={}\n", o.cpus);
  }
  if (o.gpus > 0) script += fmt::format("#SBATCH --gpus-per-task={}\n", o.gpus);
  if (o.gpus_per_node > 0) script += fmt::format("#SBATCH --gpus-per-node={}\n", o.gpus_per_node);
  if (!o.partition.empty()) script += fmt::format("#SBATCH --partition={}\n", o.partition);
  if (!o.time.empty()) script += fmt::format("#SBATCH --time={}\n", o.time);
  script += fmt::format("#SBATCH --output={}/%x-%A_%a.out\n", logs);
  script += fmt::format(
      "#\n# Sweep '{}': {} trials registered in {}.\n"
      "# Every array task claims trials until none is left; resubmitting this script resumes the sweep\n"
      "# (completed trials are never rerun; interrupted and orphaned ones continue from their checkpoints).\n"
      "{}",
      sweep.name, sweep.trials, db,
      server ? fmt::format("# Every task connects to the PostgreSQL server; checkpoints go to experiment.output_dir ({}),\n"
                           "# which every node must see for a re-queued trial to resume on another node.\n",
                           fs::absolute(output_dir).lexically_normal().string())
             : "# The database must be on a disk every node sees, with working POSIX locks (see README, \"Sweeps on a\n"
               "# cluster\": SQLite over NFS is unsafe with many writers; a PostgreSQL server is not).\n");
  script += fmt::format("mkdir -p {}\n", shell_quote(logs));
  if (multi_node)
    script += fmt::format(
        "# Each trial runs on all {} ranks ({} nodes x {}); rank 0, on this first node, records. The rendezvous port\n"
        "# follows the job id, so two jobs sharing a node do not collide.\n"
        "export MASTER_ADDR=\"$(scontrol show hostnames \"$SLURM_JOB_NODELIST\" | head -n 1)\"\n"
        "export MASTER_PORT=$((20000 + SLURM_JOB_ID % 20000))\n"
        "export REMIX_DEFAULT_THREADS={}\n",
        o.nodes * o.nproc, o.nodes, o.nproc, o.cpus / o.nproc);
  std::string command = shell_quote(remix);
  for (const auto& p : g.plugin_paths) command += " --plugin-path " + shell_quote(fs::absolute(p).string());
  command += fmt::format(" worker --db {} --sweep {} --jobs {}", shell_quote(db), shell_quote(sweep.name), o.jobs);
  if (multi_node)
    command += fmt::format(" --launcher 'srun --nodes={} --ntasks={} --ntasks-per-node={} --cpus-per-task={}{} "
                           "--kill-on-bad-exit=1'",
                           o.nodes, o.nodes * o.nproc, o.nproc, o.cpus / o.nproc,
                           o.gpus_per_node > 0 ? fmt::format(" --gpus-per-node={}", o.gpus_per_node) : "");
  else if (o.nproc > 1)
    command += fmt::format(" --nproc {}", o.nproc);  // each trial on N ranks of the task's node
  script += "exec " + command + "\n";
  fmt::print("{}", script);
  return 0;
}

}  // namespace

void add_slurm_command(CLI::App& app, const GlobalOptions& global, Action& action) {
  auto o = std::make_shared<SlurmOptions>();
  auto* cmd = app.add_subcommand("slurm", "register the experiment's trials and print an sbatch array script whose "
                                          "tasks run `remix worker` on them");
  cmd->add_option("file", o->file, "experiment YAML")->required();
  cmd->add_option("overrides", o->overrides, "key.path=value, +key.path=value, ~key.path; a=v1,v2 is a sweep axis");
  cmd->add_option("--array", o->array, "array tasks (workers running at once)")
      ->check(CLI::Range(1, 1000000))
      ->capture_default_str();
  cmd->add_option("--partition", o->partition, "Slurm partition");
  cmd->add_option("--time", o->time, "time limit per task (Slurm format, e.g. 4:00:00)");
  cmd->add_option("--gpus", o->gpus, "GPUs per task (0 = none)")->check(CLI::Range(0, 1024))->capture_default_str();
  cmd->add_option("--cpus", o->cpus, "CPU cores per task")->check(CLI::Range(1, 65536))->capture_default_str();
  cmd->add_option("-j,--jobs", o->jobs, "trials each task runs at once")->check(CLI::Range(1, 1024))->capture_default_str();
  cmd->add_option("--nproc", o->nproc, "data-parallel ranks per trial on each of the task's nodes")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  cmd->add_option("--nodes", o->nodes,
                  "nodes per array task; each trial runs on all of them (--nproc ranks each, started by srun)")
      ->check(CLI::Range(1, 65536))
      ->capture_default_str();
  cmd->add_option("--gpus-per-node", o->gpus_per_node,
                  "GPUs per node, one data-parallel rank on each (NCCL; runtime.device: cuda; sets --nproc)")
      ->check(CLI::Range(0, 1024))
      ->capture_default_str();
  cmd->add_option("--output-dir", o->output_dir, "where task logs go (default: <database folder>/slurm)");
  cmd->callback([o, &global, &action] { action = [o, &global] { return print_slurm_script(global, *o); }; });
}

}  // namespace remix::cli
