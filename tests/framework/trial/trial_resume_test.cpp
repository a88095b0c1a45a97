// Interrupted trials, checkpoints and the base cache, through the `remix` binary: a run killed with SIGKILL at a
// random step, or stopped by SIGTERM, resumes to exactly the metrics of an uninterrupted run; a checkpoint of
// another config, of another database or with flipped bytes is never resumed from; the cached base does not
// depend on which trial pretrained it, and a damaged cache entry is pretrained again.
#include <gtest/gtest.h>
#include <sys/prctl.h>

#include <csignal>
#include <filesystem>
#include <random>

#include "common/sealed_file.h"
#include "store/query.h"
#include "support/test_env.h"
#include "support/tiny_trial.h"

namespace remix {
namespace {

namespace fs = std::filesystem;
using test::base_sha;
using test::status_of;
using test::tiny_config;
using test::trial_metrics;

// Starts a run in its own process group and stops the whole group with `signal` once it logged `step`.
int interrupt_at(const std::string& config, int step, int signal) {
  test::ChildProcess run({test::remix_bin(), "run", config}, /*merge_stderr=*/true, /*own_group=*/true);
  std::string marker = "train step " + std::to_string(step) + "/";
  while (auto line = run.read_line())
    if (line->find(marker) != std::string::npos) {
      run.kill_group(signal);
      break;
    }
  while (run.read_line()) {
  }
  return run.wait();
}

TEST(Trial, SigkillAtARandomStepResumesToTheSameMetrics) {
  // This test process adopts the orphans of the killed run and never reaps them, as a container's PID 1 may not:
  // the killed trial stays a zombie, and must still count as dead (it stayed `running` for ever in CI once).
  ASSERT_EQ(prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), 0);
  test::TempDir reference, killed, cache;
  ASSERT_EQ(test::run_remix({"run", tiny_config(reference, cache.path())}).exit_code, 0);
  std::random_device rd;
  int step = 12 + static_cast<int>(rd() % 26);  // after the first checkpoint, before the end
  std::string config = tiny_config(killed, cache.path());
  int code = interrupt_at(config, step, SIGKILL);
  EXPECT_EQ(code, -SIGKILL) << "killed at step " << step;
  EXPECT_EQ(status_of(killed.file("r.db")), "running");  // nobody could record the end
  auto r = test::run_remix({"run", config});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("resuming from"), std::string::npos) << r.err;
  EXPECT_EQ(status_of(killed.file("r.db")), "completed");
  EXPECT_EQ(trial_metrics(reference.file("r.db")), trial_metrics(killed.file("r.db"))) << "killed at step " << step;
}

TEST(Trial, SigtermCheckpointsMarksInterruptedAndResumes) {
  test::TempDir reference, stopped, cache;
  ASSERT_EQ(test::run_remix({"run", tiny_config(reference, cache.path())}).exit_code, 0);
  std::string config = tiny_config(stopped, cache.path());
  EXPECT_EQ(interrupt_at(config, 23, SIGTERM), 128 + SIGTERM);
  EXPECT_EQ(status_of(stopped.file("r.db")), "interrupted");
  auto r = test::run_remix({"run", config});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(trial_metrics(reference.file("r.db")), trial_metrics(stopped.file("r.db")));
}

// The newest checkpoint of a trial's folder (the trial's recorded checkpoint artifact).
fs::path recorded_checkpoint(const std::string& db, const std::string& where) {
  auto rows = store::query_readonly(
      db, "SELECT a.path FROM artifacts a JOIN runs r ON r.id = a.run_id WHERE a.kind = 'checkpoint' AND " + where);
  return std::get<std::string>(rows.rows.at(0).at(0));
}

TEST(Trial, CheckpointOfAnotherConfigIsRefused) {
  test::TempDir dir, cache;
  std::string config = tiny_config(dir, cache.path(), "");
  ASSERT_EQ(test::run_remix({"run", config, "train.steps=10", "train.lr=0.01,0.02"}).exit_code, 0);
  std::string db = dir.file("r.db");
  fs::path theirs = recorded_checkpoint(db, "r.name = 'train.lr=0.01'");
  fs::path ours = recorded_checkpoint(db, "r.name = 'train.lr=0.02'");
  ASSERT_NE(theirs.parent_path(), ours.parent_path());  // every run has its own folder
  // The lr=0.02 trial, interrupted, finds a checkpoint of the lr=0.01 trial where its own should be.
  fs::copy_file(theirs, ours, fs::copy_options::overwrite_existing);  // intact, sealed, of another config
  fs::copy_file(theirs.string() + ".sha256", ours.string() + ".sha256", fs::copy_options::overwrite_existing);
  ASSERT_EQ(test::run_command({"/usr/bin/sqlite3", db, "UPDATE runs SET status = 'interrupted' "
                                                       "WHERE name = 'train.lr=0.02'"}).exit_code, 0);
  auto r = test::run_remix({"run", config, "train.steps=10", "train.lr=0.01,0.02"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("checkpoint of another config"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("train.lr"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(ours.string()), std::string::npos) << r.err;
}

TEST(Trial, ANewDatabaseNeverResumesFromAnotherDatabasesCheckpoints) {
  test::TempDir dir, cache;
  std::string config = tiny_config(dir, cache.path(), "");
  ASSERT_EQ(test::run_remix({"run", config, "train.steps=10"}).exit_code, 0);
  auto first = trial_metrics(dir.file("r.db"));
  // The same experiment into a fresh database (the old one deleted; its trial folders left where they were).
  fs::remove(dir.file("r.db"));
  auto r = test::run_remix({"run", config, "train.steps=10"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err.find("resuming"), std::string::npos) << r.err;
  EXPECT_EQ(trial_metrics(dir.file("r.db")), first);  // trained from step 0 again: every metric is there
}

// Issue 13's holes: a checkpoint with flipped bytes resumed and trained on the damaged state; a cached base
// with flipped bytes loaded silently. Now a corrupt checkpoint is refused naming it, the one before it
// resumes (so the metrics equal an uninterrupted run's), and the refusal is in the log and the run's tags.
TEST(Trial, AFlippedCheckpointIsRefusedAndThePreviousOneResumes) {
  test::TempDir reference, killed, cache;
  ASSERT_EQ(test::run_remix({"run", tiny_config(reference, cache.path())}).exit_code, 0);
  std::string config = tiny_config(killed, cache.path());
  EXPECT_EQ(interrupt_at(config, 35, SIGKILL), -SIGKILL);  // checkpoints at steps 20 and 30 are on disk
  fs::path newest;
  for (const auto& e : fs::recursive_directory_iterator(killed.file("runs")))
    if (e.path().filename() == "checkpoint-000000030.pt") newest = e.path();
  ASSERT_FALSE(newest.empty());
  test::flip_bytes(newest.string(), 4);
  auto r = test::run_remix({"run", config});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("checkpoint " + newest.string() + " is refused: its sha256"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("checkpoint-000000020.pt at step 20"), std::string::npos) << r.err;
  EXPECT_EQ(trial_metrics(reference.file("r.db")), trial_metrics(killed.file("r.db")));
  auto tag = store::query_readonly(killed.file("r.db"),
                                   "SELECT value FROM tags WHERE key = 'checkpoint.rejected.checkpoint-000000030.pt'");
  ASSERT_EQ(tag.rows.size(), 1u);
  EXPECT_NE(std::get<std::string>(tag.rows[0][0]).find("the file is corrupt"), std::string::npos);
  // The checkpoint artifact is recorded with the digest its seal holds.
  auto artifact =
      store::query_readonly(killed.file("r.db"), "SELECT path, sha256 FROM artifacts WHERE kind = 'checkpoint'");
  ASSERT_EQ(artifact.rows.size(), 1u);
  auto path = std::get<std::string>(artifact.rows[0][0]);
  EXPECT_EQ(test::read_file(path + ".sha256").substr(0, 64), std::get<std::string>(artifact.rows[0][1]));
}

// A bug this guards against: the base's initial weights came from the process's generator after the trial's
// router probe had drawn from it, so the cached base depended on which router's trial pretrained it.
TEST(Trial, TheBaseModelDoesNotDependOnWhichTrialPretrainedIt) {
  test::TempDir a, b, cache_a, cache_b;
  ASSERT_EQ(test::run_remix({"run", tiny_config(a, cache_a.path()), "train.steps=2", "router.plugin=lora",
                   "adapter.num_experts=1", "adapter.top_k=1"}).exit_code, 0);  // draws nothing before
  ASSERT_EQ(test::run_remix({"run", tiny_config(b, cache_b.path()), "train.steps=2"}).exit_code, 0);  // remix
  EXPECT_EQ(base_sha(a.file("r.db")), base_sha(b.file("r.db")));
}

TEST(Trial, AFlippedBaseCacheIsPretrainedAgain) {
  test::TempDir first, second, cache;
  ASSERT_EQ(test::run_remix({"run", tiny_config(first, cache.path()), "train.steps=2"}).exit_code, 0);
  fs::path cached;
  for (const auto& e : fs::directory_iterator(cache.path()))
    if (e.path().extension() == ".pt") cached = e.path();
  ASSERT_FALSE(cached.empty());
  test::flip_bytes(cached.string(), 4);
  auto r = test::run_remix({"run", tiny_config(second, cache.path()), "train.steps=2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("base model: the cached " + cached.string() + " is refused"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("pretraining on"), std::string::npos) << r.err;
  EXPECT_EQ(base_sha(first.file("r.db")), base_sha(second.file("r.db")));  // pretraining is deterministic
  auto tag = store::query_readonly(second.file("r.db"), "SELECT value FROM tags WHERE key = 'base.cache_rejected'");
  ASSERT_EQ(tag.rows.size(), 1u);
  EXPECT_NE(std::get<std::string>(tag.rows[0][0]).find("the file is corrupt"), std::string::npos);
  EXPECT_TRUE(check_sealed_file(cached.string()).intact);  // the new entry is sealed
}

}  // namespace
}  // namespace remix
