// Where a trial process sits among the data-parallel ranks of its trial (docs/architecture.md §13), and the local
// ranks it starts. Three ways in, one answer:
// - torchrun's convention: RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT in the environment;
// - Slurm's: SLURM_PROCID, SLURM_NTASKS, SLURM_LOCALID (MASTER_ADDR and MASTER_PORT set by the job script, as
//   `remix slurm --nproc` writes it);
// - `remix trial --nproc N` (what `remix run --nproc N` passes): this process is rank 0 and starts ranks 1..N-1 as
//   its children on a free loopback port.
// Rank 0 is the trial process a worker started: it records, the others only compute.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace remix::trial {

struct RankPlacement {
  int rank = 0, world_size = 1, local_rank = 0;
  std::string master_addr = "127.0.0.1";
  int master_port = 0;
  bool starts_local_ranks = false;  // --nproc: this process starts ranks 1..world_size-1
};

// From `nproc` (the --nproc flag, 1 = not asked) and the environment; UserError naming the variable or flag when
// they are malformed or contradict each other.
RankPlacement rank_placement(int nproc);

// Ranks 1..N-1 of a local launch: this program again with the same arguments and the rank's variables, each on
// its share of the cores, dying with its parent (PR_SET_PDEATHSIG). The destructor stops and reaps any left.
class LocalRanks {
 public:
  LocalRanks(const RankPlacement& placement, const std::vector<std::string>& args);
  ~LocalRanks();
  LocalRanks(const LocalRanks&) = delete;
  LocalRanks& operator=(const LocalRanks&) = delete;

  // The ranks that have exited so far, e.g. "rank 1 (pid 4242) killed by signal 9 (Killed)"; empty if none.
  std::string exits();
  // Waits for every rank (after the trial ended on rank 0); true when all exited with 0.
  bool wait_all();

 private:
  struct Child {
    int rank;
    pid_t pid;
    bool reaped = false;
    int status = 0;
  };
  std::vector<Child> children_;
};

}  // namespace remix::trial
