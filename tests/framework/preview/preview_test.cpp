// `remix preview` end to end through the binary, on a tiny sweep of real trials (a single LoRA and ReMix, two
// tasks on a 2-division simplex, squared-gradient precisions): every rule the runs allow is previewed at every
// weighting and recorded as a 'preview' run with its source runs; a one-hot arithmetic preview evaluates exactly
// like the run it came from; a second call reuses what is recorded; `remix results --previews` and `remix report`
// compare them with the real trials; an older database's sweep block splits no group; and bad weightings, rules,
// unfinished sources and groups that cannot be merged exit 2 naming what is wrong.
#include <gtest/gtest.h>

#include <map>

#include "store/query.h"
#include "store/results_store.h"
#include "support/test_env.h"

namespace remix {
namespace {

// The tiny trial of test_env.h, trained a few steps longer and recording squared-gradient precisions.
std::string config(const test::TempDir& dir, const std::string& sweep) {
  auto tiny = test::tiny_trial_yaml(dir);
  auto train = tiny.find("train: {steps: 2,");
  EXPECT_NE(train, std::string::npos) << "tiny_trial_yaml changed: " << tiny;
  tiny.replace(train, 17, "train: {steps: 6, precision: sg,");
  return dir.write("exp.yaml",
                   "experiment: {name: mt, db: " + dir.file("r.db") + ", output_dir: " + dir.file("runs") + "}\n" +
                       tiny +
                       "router: {plugin: remix}\n"
                       "tasks: {add: {plugin: test_task, n_train: 24}, more: {plugin: test_task, n_train: 40}}\n" +
                       sweep);
}

const std::string kSweep =
    "sweep:\n"
    "  parameters:\n"
    "    variant:\n"
    "      - {name: lora, router.plugin: lora, adapter.num_experts: 1, adapter.top_k: 1}\n"
    "      - {name: remix, router.plugin: remix}\n"
    "    task_weights: {simplex: [add, more], divisions: 2}\n";

std::int64_t count(const std::string& db, const std::string& sql) {
  return std::get<std::int64_t>(store::query_readonly(db, sql).rows.at(0).at(0));
}

double metric(const std::string& db, std::int64_t run, const std::string& key) {
  auto rows = store::query_readonly(db, "SELECT value FROM latest_metrics WHERE run_id = " + std::to_string(run) +
                                            " AND key = '" + key + "'");
  if (rows.rows.empty()) return std::nan("");
  return store::as_double(rows.rows[0][0]);
}

class Preview : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new test::TempDir;
    auto r = test::run_remix_fixtures({"run", config(*dir_, kSweep)});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    db_ = dir_->file("r.db");
    first_ = test::run_remix_fixtures({"preview", db_, "--tasks-from", "mt", "--weights", "2"});
  }
  static void TearDownTestSuite() { delete dir_; }
  static test::TempDir* dir_;
  static std::string db_;
  static test::CommandResult first_;
};
test::TempDir* Preview::dir_ = nullptr;
std::string Preview::db_;
test::CommandResult Preview::first_;

TEST_F(Preview, EveryApplicableRuleAtEveryWeightingIsRecordedWithItsSources) {
  ASSERT_EQ(first_.exit_code, 0) << first_.err;
  // lora: arithmetic, precision-sg, delta-w; remix: arithmetic, precision-sg; 3 weightings each.
  EXPECT_EQ(count(db_, "SELECT count(*) FROM runs WHERE kind = 'preview' AND status = 'completed'"), 15);
  EXPECT_EQ(count(db_, "SELECT count(*) FROM runs WHERE kind = 'preview' AND name LIKE '%rule=delta-w%'"), 3);
  EXPECT_EQ(count(db_, "SELECT count(*) FROM runs WHERE kind = 'preview' AND name LIKE '%remix%rule=delta-w%'"), 0);
  EXPECT_EQ(count(db_, "SELECT count(*) FROM preview_sources"), 30);  // two source runs each
  // The sources are the per-task trials, with the weighting's weights.
  EXPECT_EQ(count(db_, "SELECT count(*) FROM preview_sources p JOIN runs r ON r.id = p.source_run_id "
                       "WHERE r.kind <> 'trial' OR r.status <> 'completed'"),
            0);
  EXPECT_EQ(count(db_, "SELECT count(*) FROM preview_sources WHERE task = 'add' AND weight = 0.5"), 5);
  EXPECT_EQ(count(db_, "SELECT count(*) FROM tags t JOIN runs r ON r.id = t.run_id WHERE r.kind = 'preview' AND "
                       "t.key = 'preview.rule'"),
            15);
  // The per-task runs recorded their precision beside the checkpoint.
  EXPECT_EQ(count(db_, "SELECT count(*) FROM artifacts WHERE kind = 'precision/sg'"), 6);
  // ReMix's router learns only through the policy gradient: no squared gradient, merged arithmetically (named).
  EXPECT_EQ(count(db_,
                  "SELECT count(*) FROM tags t JOIN runs r ON r.id = t.run_id WHERE r.name LIKE "
                  "'%remix%rule=precision-sg%' AND t.key = 'preview.arithmetic_tensors' AND t.value LIKE '%router%'"),
            3);
  // The single LoRA's factors all have a measured precision: nothing falls back.
  EXPECT_EQ(count(db_, "SELECT count(*) FROM tags t JOIN runs r ON r.id = t.run_id WHERE r.name LIKE "
                       "'%lora%rule=precision-sg%' AND t.key = 'preview.arithmetic_tensors' AND t.value = 'none'"),
            3);
}

TEST_F(Preview, AOneHotArithmeticPreviewEvaluatesExactlyLikeItsSourceRun) {
  ASSERT_EQ(first_.exit_code, 0) << first_.err;
  auto rows =
      store::query_readonly(db_,
                            "SELECT p.preview_run_id, p.source_run_id FROM preview_sources p JOIN runs r "
                            "ON r.id = p.preview_run_id WHERE p.weight = 1 AND r.name LIKE '%rule=arithmetic%'");
  ASSERT_EQ(rows.rows.size(), 4u);  // two groups × two vertices
  for (const auto& r : rows.rows) {
    auto preview = std::get<std::int64_t>(r[0]), source = std::get<std::int64_t>(r[1]);
    for (const std::string task : {"add", "more"}) {
      auto key = "eval/" + task + "/exact_match";
      EXPECT_EQ(metric(db_, preview, key), metric(db_, source, key)) << key << " of preview " << preview;
      EXPECT_NEAR(metric(db_, preview, "eval/" + task + "/loss"), metric(db_, source, "eval/" + task + "/loss"), 1e-6)
          << task << " loss of preview " << preview << " vs run " << source;
    }
  }
}

TEST_F(Preview, ASecondCallReusesWhatIsRecorded) {
  ASSERT_EQ(first_.exit_code, 0) << first_.err;
  auto again =
      test::run_remix_fixtures({"preview", db_, "--tasks-from", "mt", "--weights", "2", "--rules", "arithmetic"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.out.find("0 previews made, 6 recorded before"), std::string::npos) << again.out;
  EXPECT_EQ(count(db_, "SELECT count(*) FROM runs WHERE kind = 'preview'"), 15);
}

TEST_F(Preview, ResultsAndReportCompareThePreviewsWithTheRealTrials) {
  ASSERT_EQ(first_.exit_code, 0) << first_.err;
  auto results = test::run_remix_fixtures({"results", db_, "--previews", "--sweep", "mt"});
  ASSERT_EQ(results.exit_code, 0) << results.err;
  for (const std::string s : {"spearman", "regret", "precision-sg", "delta-w", "add=0.5,more=0.5", "speedup"})
    EXPECT_NE(results.out.find(s), std::string::npos) << s << " missing from\n" << results.out;
  auto csv = test::run_remix_fixtures({"results", db_, "--previews", "-f", "csv"});
  ASSERT_EQ(csv.exit_code, 0) << csv.err;
  EXPECT_NE(csv.out.find("group,weighting,metric,real,arithmetic"), std::string::npos) << csv.out;
  // The ordinary results table shows the trials only.
  auto plain = test::run_remix_fixtures({"results", db_, "-f", "csv"});
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  EXPECT_EQ(plain.out.find("rule="), std::string::npos) << plain.out;
  auto report = test::run_remix_fixtures({"report", db_, "-o", dir_->file("report.html")});
  ASSERT_EQ(report.exit_code, 0) << report.err;
  auto html = test::read_file(dir_->file("report.html"));
  EXPECT_NE(html.find("previews against real trials"), std::string::npos);
  EXPECT_NE(html.find("id=\"pareto-0\""), std::string::npos);
  EXPECT_NE(html.find("class=\"point\""), std::string::npos);
}

TEST_F(Preview, BadWeightingsAndRulesExit2NamingTheProblem) {
  ASSERT_EQ(first_.exit_code, 0) << first_.err;
  auto expect_refused = [&](const std::vector<std::string>& extra, const std::string& message) {
    std::vector<std::string> args = {"preview", db_, "--tasks-from", "mt"};
    args.insert(args.end(), extra.begin(), extra.end());
    auto r = test::run_remix_fixtures(args);
    EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
    EXPECT_NE(r.err.find(message), std::string::npos) << "expected '" << message << "' in: " << r.err;
  };
  expect_refused({"--weights", "add=-1,more=2"}, "the weight of task 'add' is -1");
  expect_refused({"--weights", "add=0,more=0"}, "every weight is zero");
  expect_refused({"--weights", "sub=1"}, "no task 'sub'");
  expect_refused({"--rules", "precision-ivon"}, "has no precision/ivon artifact");
  expect_refused({"--rules", "delta-w"}, "adapter.num_experts");
  expect_refused({"--rules", "median"}, "no merging rule 'median'");
  expect_refused({"--prior-precision", "-1"}, "--prior-precision");
  auto none = test::run_remix_fixtures({"preview", db_, "--tasks-from", "nope"});
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_NE(none.err.find("nope"), std::string::npos) << none.err;
  EXPECT_EQ(count(db_, "SELECT count(*) FROM runs WHERE kind = 'preview'"), 15);  // nothing recorded by refusals
}

TEST(PreviewSources, AFailedSourceRunOrAGroupWithoutEveryTaskIsRefusedNamingTheRun) {
  test::TempDir dir;
  const std::string mixed_only =
      "sweep:\n"
      "  parameters:\n"
      "    variant:\n"
      "      - {name: a, tasks.add.weight: 1, tasks.more.weight: 0}\n"
      "      - {name: b, tasks.add.weight: 0, tasks.more.weight: 1, adapter.r: 4}\n";
  auto r = test::run_remix_fixtures({"run", config(dir, mixed_only)});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto db = dir.file("r.db");
  // Different adapter shapes are different groups: neither is complete, and the message says why.
  auto shapes = test::run_remix_fixtures({"preview", db, "--tasks-from", "mt"});
  EXPECT_EQ(shapes.exit_code, 2);
  EXPECT_NE(shapes.err.find("no run of the same config trains on"), std::string::npos) << shapes.err;
  EXPECT_NE(shapes.err.find("adapter.r (2 vs 4)"), std::string::npos) << shapes.err;

  {
    auto store = store::open_store(db, store::Access::ReadWrite);
    auto id = std::get<std::int64_t>(store->read("SELECT min(id) FROM runs WHERE kind = 'trial'").rows.at(0).at(0));
    store->fail(id, "made to fail by the test");
  }
  auto failed = test::run_remix_fixtures({"preview", db, "--tasks-from", "mt"});
  EXPECT_EQ(failed.exit_code, 2);
  EXPECT_NE(failed.err.find("is failed"), std::string::npos) << failed.err;
  EXPECT_NE(failed.err.find("finish the sweep first"), std::string::npos) << failed.err;
}

// Databases from before 2026-12 recorded the sweep block in each trial's config, and a per-task run first registered
// by another sweep carried that sweep's block: it must not split the run from the ones it merges with.
TEST(PreviewSources, ASweepBlockAnOlderDatabaseRecordedDoesNotSplitTheGroup) {
  test::TempDir dir;
  auto r = test::run_remix_fixtures(
      {"run", config(dir, "sweep: {parameters: {w: {simplex: [add, more], divisions: 1}}}\n")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto db = dir.file("r.db");
  auto edit = test::run_command({"/usr/bin/sqlite3", db,
                                 "UPDATE runs SET config = json_set(config, '$.sweep', json('{\"name\": \"another\"}')) "
                                 "WHERE id = (SELECT min(id) FROM runs WHERE kind = 'trial')"});
  ASSERT_EQ(edit.exit_code, 0) << edit.err;
  ASSERT_EQ(count(db, "SELECT count(*) FROM runs WHERE config LIKE '%\"another\"%'"), 1);
  auto p = test::run_remix_fixtures({"preview", db, "--tasks-from", "mt", "--weights", "2"});
  EXPECT_EQ(p.exit_code, 0) << p.err;
}

TEST(PreviewSources, IvonRunsRecordTheirPrecisionAndPreviewsMergeByIt) {
  test::TempDir dir;
  auto file = config(dir, "sweep: {parameters: {w: {simplex: [add, more], divisions: 1}}}\n");
  auto text = test::read_file(file);
  text.replace(text.find("precision: sg"), 13, "precision: none, optimizer: ivon, lr: 0.05");
  dir.write("exp.yaml", text);
  auto r = test::run_remix_fixtures({"run", file});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto db = dir.file("r.db");
  EXPECT_EQ(count(db, "SELECT count(*) FROM artifacts WHERE kind = 'precision/ivon'"), 2);
  EXPECT_EQ(count(db, "SELECT count(*) FROM artifacts WHERE kind = 'precision/sg'"), 0);
  // The rules these runs allow: arithmetic and precision-ivon (no squared gradients, a mixture: no delta-w).
  auto p = test::run_remix_fixtures({"preview", db, "--tasks-from", "mt", "--weights", "2"});
  ASSERT_EQ(p.exit_code, 0) << p.err;
  EXPECT_EQ(count(db, "SELECT count(*) FROM runs WHERE kind = 'preview' AND status = 'completed'"), 6);
  EXPECT_EQ(count(db, "SELECT count(*) FROM runs WHERE kind = 'preview' AND name LIKE '%rule=precision-ivon%'"), 3);
  // IVON measures the router too: nothing is merged arithmetically for want of a precision.
  EXPECT_EQ(count(db, "SELECT count(*) FROM tags WHERE key = 'preview.arithmetic_tensors' AND value = 'none'"), 3);
  auto sg = test::run_remix_fixtures({"preview", db, "--tasks-from", "mt", "--rules", "precision-sg"});
  EXPECT_EQ(sg.exit_code, 2);
  EXPECT_NE(sg.err.find("has no precision/sg artifact"), std::string::npos) << sg.err;
}

}  // namespace
}  // namespace remix
