// Results tables against hand-computed means and sample standard deviations, with failed and unfinished
// trials counted in their cells and the best mean marked per column; and `remix results` / `remix runs` on
// the same database.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>

#include "remix/errors.h"
#include "report/results.h"
#include "store/query.h"
#include "store/recorder.h"
#include "store/results_store.h"
#include "support/test_env.h"

namespace remix::report {
namespace {

// Two routers × three seeds; softmax seed 2 failed; remix seed 2 is still pending.
std::string make_db(const test::TempDir& dir) {
  std::string path = dir.file("r.db");
  auto db = store::open_store(path, store::Access::Create);
  struct T {
    const char* router;
    int seed;
    const char* status;
    double acc, loss;
  };
  std::vector<T> trials = {{"softmax", 0, "completed", 0.20, 1.5}, {"softmax", 1, "completed", 0.30, 1.3},
                           {"softmax", 2, "failed", 0, 0},         {"remix", 0, "completed", 0.40, 1.1},
                           {"remix", 1, "completed", 0.50, 1.4},   {"remix", 2, "pending", 0, 0}};
  std::vector<store::PendingRun> pending;
  for (const auto& t : trials) {
    std::string key = std::string(t.router) + std::to_string(t.seed);
    pending.push_back({key, key, "trial", "{}", {{"router.plugin", std::string("\"") + t.router + "\""},
                                                 {"seed", std::to_string(t.seed)},
                                                 {"experiment.db", "\"" + path + "\""}}});
  }
  auto sweep = db->register_sweep(db->ensure_experiment("cmp"), "cmp", "{}", pending);
  auto runs = db->sweep_trials(sweep);
  for (std::size_t i = 0; i < trials.size(); ++i) {
    const auto& t = trials[i];
    auto id = runs[i].run_id;
    if (std::string(t.status) == "completed") {
      store::MetricsRecorder rec(*db, id);
      rec.log("final/math/exact_match", 100, t.acc);
      rec.log("final/train/loss", 100, t.loss);
      rec.log("train/loss", 100, t.loss);
    }
    if (std::string(t.status) == "pending") continue;
    db->begin_attempt(id);
    if (std::string(t.status) == "completed") db->complete(id);
    else db->fail(id, "it failed");
  }
  return path;
}

TEST(Results, MeansStdsCountsAndBestMarks) {
  test::TempDir dir;
  auto db = store::open_store(make_db(dir), store::Access::ReadOnly);
  auto trials = load_trials(*db, "cmp");
  ASSERT_EQ(trials.size(), 6u);
  EXPECT_EQ(varying_keys(trials), std::vector<std::string>{"router.plugin"});  // seed and paths excluded

  auto t = results_table(trials, ResultsQuery{});
  ASSERT_EQ(t.wide.columns, (std::vector<std::string>{"router.plugin", "math/exact_match", "train/loss"}));
  ASSERT_EQ(t.wide.rows.size(), 2u);
  // softmax: acc 0.2, 0.3 -> mean 0.25, sample std 0.0707; loss 1.5, 1.3 -> 1.4 ± 0.141.
  EXPECT_EQ(t.wide.rows[0][0], "softmax");
  EXPECT_EQ(t.wide.rows[0][1], "0.25 ± 0.071 (n=2, 1 failed)");
  EXPECT_EQ(t.wide.rows[0][2], "1.4 ± 0.14 (n=2, 1 failed)");
  // remix: acc 0.45 ± 0.0707 (best: higher), loss 1.25 ± 0.212 (best: lower).
  EXPECT_EQ(t.wide.rows[1][1], "0.45 ± 0.071 (n=2, 1 unfinished) *");
  EXPECT_EQ(t.wide.rows[1][2], "1.25 ± 0.21 (n=2, 1 unfinished) *");

  // The long form carries the numbers.
  const auto& first = t.long_.rows[0];
  EXPECT_EQ(first[2], "final/math/exact_match");
  EXPECT_NEAR(first[3].get<double>(), 0.25, 1e-12);
  EXPECT_NEAR(first[4].get<double>(), std::sqrt(0.005), 1e-12);
  EXPECT_EQ(first[5], 2);
  EXPECT_EQ(first[6], 1);
}

TEST(Results, ColumnsByKeyWhereFilterAndErrors) {
  test::TempDir dir;
  auto db = store::open_store(make_db(dir), store::Access::ReadOnly);
  auto trials = load_trials(*db, "");
  ResultsQuery q;
  q.rows = {"seed"};
  q.cols = "router.plugin";
  q.metrics = {"final/math/exact_match"};
  auto t = results_table(trials, q);
  EXPECT_EQ(t.wide.columns, (std::vector<std::string>{"seed", "softmax", "remix"}));
  EXPECT_EQ(t.wide.rows[2][1], "failed (1)");
  EXPECT_EQ(t.wide.rows[2][2], "unfinished");
  q.where = {{"router.plugin", "remix"}};
  q.cols.clear();
  q.rows.clear();
  t = results_table(trials, q);
  ASSERT_EQ(t.wide.rows.size(), 1u);
  EXPECT_EQ(t.wide.rows[0][1], "0.45 ± 0.071 (n=2, 1 unfinished)");
  // A value written as another number matches; a key or value that no trial has is an error, not an empty table.
  q.where = {{"seed", "1.0"}};
  EXPECT_EQ(results_table(trials, q).wide.rows.size(), 2u);  // softmax and remix seed 1
  auto error_of = [&](const ResultsQuery& query) -> std::string {
    try {
      results_table(trials, query);
    } catch (const UserError& e) {
      return e.what();
    }
    return "accepted";
  };
  q.where = {{"router.plugn", "remix"}};
  std::string error = error_of(q);
  EXPECT_NE(error.find("did you mean 'router.plugin'"), std::string::npos) << error;
  q.where = {{"router.plugin", "hydra"}};
  error = error_of(q);
  EXPECT_NE(error.find("router.plugin is one of: remix, softmax"), std::string::npos) << error;
  ResultsQuery two_metrics;
  two_metrics.cols = "router.plugin";
  EXPECT_THROW(results_table(trials, two_metrics), UserError);
  EXPECT_THROW(load_trials(*db, "nope"), UserError);
}

// Runs from two machines told apart by their provenance tags: tag:NAME filters and labels rows like a config key.
TEST(Results, ProvenanceTagsAreKeysWhenNamedAsTagColonName) {
  test::TempDir dir;
  auto path = make_db(dir);
  {
    auto db = store::open_store(path, store::Access::Create);
    for (const auto& t : db->sweep_trials(db->find_sweep("cmp")))
      db->record_tags(t.run_id, {{"cpu.model", t.run_key.back() == '0' ? "AMD EPYC" : "Intel Xeon"}});
  }
  auto db = store::open_store(path, store::Access::ReadOnly);
  auto trials = load_trials(*db, "");
  EXPECT_FALSE(trials[0].params.count("tag:cpu.model"));  // only when asked: tags never label rows by themselves
  add_tag_keys(*db, trials, {"tag:cpu.model", "seed"});
  ResultsQuery q;
  q.rows = {"tag:cpu.model"};
  q.where = {{"router.plugin", "remix"}};
  q.metrics = {"final/math/exact_match"};
  auto t = results_table(trials, q);
  ASSERT_EQ(t.wide.rows.size(), 2u);
  EXPECT_EQ(t.wide.rows[0][0], "AMD EPYC");
  EXPECT_EQ(t.wide.rows[0][1], "0.4 (n=1)");
  EXPECT_EQ(t.wide.rows[1][1], "0.5 (n=1, 1 unfinished)");
  try {
    add_tag_keys(*db, trials, {"tag:cpu.modle"});
    FAIL() << "a tag no trial recorded was accepted";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("no trial recorded the tag 'cpu.modle' (did you mean 'cpu.model'?)"),
              std::string::npos)
        << e.what();
  }
}

TEST(Results, KeysThatFollowFromOthersDoNotLabelTheRows) {
  // A bundle axis: router.plugin lora comes with adapter.r 8 and num_experts 1; the others with 4 and 8.
  auto trial = [](const std::string& router, const std::string& r, const std::string& n, const std::string& lr) {
    TrialRecord t;
    t.params = {{"router.plugin", router}, {"adapter.r", r}, {"adapter.num_experts", n}, {"train.lr", lr}};
    return t;
  };
  std::vector<TrialRecord> bundles = {trial("softmax", "4", "8", "0.001"), trial("lora", "8", "1", "0.001"),
                                      trial("remix", "4", "8", "0.001")};
  EXPECT_EQ(varying_keys(bundles), std::vector<std::string>{"router.plugin"});
  // A grid over two independent keys keeps both.
  std::vector<TrialRecord> grid = {trial("softmax", "4", "8", "0.001"), trial("softmax", "4", "8", "0.003"),
                                   trial("remix", "4", "8", "0.001"), trial("remix", "4", "8", "0.003")};
  EXPECT_EQ(varying_keys(grid), (std::vector<std::string>{"router.plugin", "train.lr"}));
  // The rates chosen on two bases: router and rate together happen to tell the bases apart, neither alone does. The
  // base labels the rows (it was dropped, and a column mixed the bases' trials unlabelled).
  auto on_base = [&](const std::string& base, const std::string& router, const std::string& lr) {
    auto t = trial(router, "4", "8", lr);
    t.params["base.pretrain.steps"] = base;
    return t;
  };
  std::vector<TrialRecord> chosen = {on_base("800", "remix", "0.015"), on_base("800", "softmax", "0.01"),
                                     on_base("4800", "remix", "0.01")};
  EXPECT_EQ(varying_keys(chosen), (std::vector<std::string>{"base.pretrain.steps", "router.plugin", "train.lr"}));
}

// A completed trial of `router` with these metrics.
TrialRecord completed(const std::string& router, std::map<std::string, double> metrics) {
  TrialRecord t;
  t.status = "completed";
  t.params = {{"router.plugin", router}};
  t.metrics = std::move(metrics);
  return t;
}

TEST(Results, CountsPrintWholeAndAreNeverMarkedBest) {
  auto trial = [](const std::string& router, double active, double score) {
    return completed(router, {{"final/params/lora_active_per_token", active}, {"final/math/exact_match", score}});
  };
  auto table = results_table({trial("hydra", 35712, 0.5), trial("hydra", 35712, 0.5), trial("remix", 45312, 0.25),
                               trial("remix", 45312, 0.25)},
                              ResultsQuery{})
                   .wide;
  ASSERT_EQ(table.rows.size(), 2u);
  // Columns: row label, math/exact_match, params/lora_active_per_token.
  EXPECT_EQ(table.rows[0][1], "0.5 ± 0 (n=2) *");
  EXPECT_EQ(table.rows[1][2], "45312 ± 0 (n=2)");  // not 4.531e+04, and no best mark on a count
}

// compare_compute's table printed compute/flops as "8796153564672 ± 6e+09": 13 digits beside a 2-digit spread.
TEST(Results, TotalsOfABillionAndMorePrintInSignificantDigits) {
  auto trial = [](double flops) { return completed("remix", {{"compute/flops", flops}}); };
  ResultsQuery query;
  query.metrics = {"compute/flops"};
  auto table = results_table({trial(8796153564672.0), trial(8796153564672.0)}, query).wide;
  ASSERT_EQ(table.rows.size(), 1u);
  EXPECT_EQ(table.rows[0][1], "8.796e+12 ± 0 (n=2)");
}

// `remix results --sweep compare_compute --rows variant` labelled every row "?" while `--against variant=remix`
// found the variants: a bundle axis is only in the trials' names, and only the paired comparison read it there.
TEST(Results, ABundleAxisIsAKeyForRowsAndWhere) {
  auto trial = [](const std::string& variant, const std::string& seed, double score) {
    auto t = completed("lora", {{"final/math/exact_match", score}});
    t.name = "variant=" + variant + " seed=" + seed;
    t.params["seed"] = seed;
    return t;
  };
  std::vector<TrialRecord> trials = {trial("lora", "0", 0.5), trial("lora", "1", 0.7),
                                     trial("lora-4x-steps", "0", 0.9), trial("lora-4x-steps", "1", 0.9)};
  add_axis_keys(trials, {"variant", "seed", "tag:cpu.id"});
  EXPECT_EQ(trials[2].params.at("variant"), "lora-4x-steps");
  EXPECT_EQ(trials[0].params.at("seed"), "0");  // a real parameter is left as it is
  ResultsQuery query;
  query.rows = {"variant"};
  query.where = parse_where({"variant=lora"});
  auto table = results_table(trials, query).wide;
  ASSERT_EQ(table.rows.size(), 1u);
  EXPECT_EQ(table.rows[0][0], "lora");
  EXPECT_EQ(table.rows[0][1], "0.6 ± 0.14 (n=2)");
}

// The same table with a key that no trial has (a typo, or a bundle axis missing from the trials' names) printed a
// column of '?' instead of saying so.
TEST(Results, ARowsOrColsKeyNoTrialHasIsAnError) {
  std::vector<TrialRecord> trials = {completed("lora", {{"final/math/exact_match", 0.5}}),
                                     completed("remix", {{"final/math/exact_match", 0.7}})};
  ResultsQuery rows;
  rows.rows = {"router.plugn"};
  try {
    results_table(trials, rows);
    FAIL() << "accepted --rows router.plugn";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("--rows router.plugn: no trial has the key 'router.plugn' (did you mean "
                                         "'router.plugin'?)"),
              std::string::npos)
        << e.what();
  }
  ResultsQuery cols;
  cols.cols = "variant";
  EXPECT_THROW(results_table(trials, cols), UserError);
}

// A misspelt bundle axis got no suggestion: the axis is in the trials' names, not among their parameters, and only
// parameters were offered. --rows, --where and --against all suggest it now.
TEST(Results, AMisspeltBundleAxisIsSuggested) {
  std::vector<TrialRecord> trials;
  for (const char* variant : {"lora", "lora-4x-steps"}) {
    trials.push_back(completed("lora", {{"final/math/exact_match", 0.5}}));
    trials.back().name = std::string("variant=") + variant + " seed=0";
  }
  EXPECT_EQ(known_keys(trials), (std::vector<std::string>{"router.plugin", "seed", "variant"}));
  auto message = [&](const std::function<void()>& f) {
    try {
      f();
    } catch (const UserError& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  ResultsQuery rows;
  rows.rows = {"varaint"};
  EXPECT_NE(message([&] { results_table(trials, rows); }).find("(did you mean 'variant'?)"), std::string::npos);
  EXPECT_NE(message([&] { filter_trials(trials, parse_where({"varaint=lora"})); }).find("(did you mean 'variant'?)"),
            std::string::npos);
}

// The ablation tables marked the highest routing/q_ess_mean best, as if a flatter router were a better result.
TEST(Results, RoutingDiagnosticsAreNeverMarkedBest) {
  auto trial = [](const std::string& router, double q_ess, double score) {
    return completed(router, {{"eval/routing/q_ess_mean", q_ess},
                              {"final/routing/ess_mean", q_ess},
                              {"final/math/exact_match", score}});
  };
  auto table = results_table({trial("softmax", 1.5, 0.5), trial("softmax", 1.5, 0.5), trial("remix", 3.0, 0.25),
                               trial("remix", 3.0, 0.25)},
                              ResultsQuery{})
                   .wide;
  ASSERT_EQ(table.rows.size(), 2u);
  for (const auto& row : table.rows)
    for (std::size_t c = 1; c < row.size(); ++c) {
      const bool math = table.columns[c] == "math/exact_match";
      EXPECT_EQ(row[c].get<std::string>().find('*') != std::string::npos, math && row[0] == "softmax")
          << table.columns[c] << " " << row[c];
    }
}

TEST(Results, OneSeedShowsNoSpreadAndNoBestMark) {
  auto trial = [](const std::string& router, double score) {
    return completed(router, {{"final/math/exact_match", score}});
  };
  auto t = results_table({trial("hydra", 0.72), trial("remix", 0.25)}, ResultsQuery{});
  EXPECT_EQ(t.wide.rows[0][1], "0.72 (n=1)");  // not "0.72 ± 0 (n=1) *": one seed leads nothing
  EXPECT_EQ(t.wide.rows[1][1], "0.25 (n=1)");
  EXPECT_TRUE(t.long_.rows[0][4].is_null());  // std
  EXPECT_EQ(t.long_.rows[0][8], false);       // best
}

TEST(Results, RowsFollowTheSweepsOrderWithNumbersAscending) {
  // As a grid grows: lr 1e-3 and 3e-3 were run first, 1e-2 later, for two routers each time.
  auto trial = [](const std::string& router, const std::string& lr) {
    auto t = completed(router, {{"final/math/exact_match", 0.5}});
    t.params["train.lr"] = lr;
    return t;
  };
  std::vector<TrialRecord> trials = {trial("remix", "0.003"),   trial("remix", "0.001"), trial("softmax", "0.003"),
                                     trial("softmax", "0.001"), trial("remix", "0.01"),  trial("softmax", "0.01")};
  auto table = results_table(trials, ResultsQuery{}).wide;
  std::vector<std::string> labels;
  for (const auto& row : table.rows) labels.push_back(row[0].get<std::string>());
  EXPECT_EQ(labels, (std::vector<std::string>{
                        "router.plugin=remix train.lr=0.001", "router.plugin=remix train.lr=0.003",
                        "router.plugin=remix train.lr=0.01", "router.plugin=softmax train.lr=0.001",
                        "router.plugin=softmax train.lr=0.003", "router.plugin=softmax train.lr=0.01"}));
}

TEST(Results, CliPrintsTablesAndRuns) {
  test::TempDir dir;
  std::string db = make_db(dir);
  auto r = test::run_command({test::remix_bin(), "results", db, "--sweep", "cmp", "--format", "markdown"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("| remix"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("0.45 ± 0.071 (n=2, 1 unfinished) *"), std::string::npos) << r.out;
  r = test::run_command({test::remix_bin(), "results", db, "--metric", "math/exact_match", "--format", "csv"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("remix,,final/math/exact_match,0.45"), std::string::npos) << r.out;
  r = test::run_command({test::remix_bin(), "results", db, "--sweep", "cpm"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("did you mean 'cmp'?"), std::string::npos) << r.err;
  r = test::run_command({test::remix_bin(), "runs", db});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("failed"), std::string::npos);
  EXPECT_NE(r.out.find("math/exact_match=0.4"), std::string::npos) << r.out;
}

// `--against ... --replicate base.pretrain.seed` through the command line: two bases of two seeds each become one
// group of four pairs whose t-interval is over the two bases; --replicate alone is refused (exit 2).
TEST(Results, CliPairsByAReplicateKey) {
  test::TempDir dir;
  std::string path = dir.file("b.db");
  {
    auto db = store::open_store(path, store::Access::Create);
    std::vector<store::PendingRun> pending;
    std::vector<double> scores;
    for (int base : {7, 8})
      for (int seed : {0, 1})
        for (const std::string router : {"softmax", "remix"}) {
          std::string key = router + std::to_string(base) + std::to_string(seed);
          pending.push_back({key, key, "trial", "{}", {{"router.plugin", "\"" + router + "\""},
                                                       {"base.pretrain.seed", std::to_string(base)},
                                                       {"seed", std::to_string(seed)}}});
          scores.push_back(router == "softmax" ? 0.5 : base == 7 ? 0.6 : 0.8);
        }
    auto sweep = db->register_sweep(db->ensure_experiment("b"), "b", "{}", pending);
    auto runs = db->sweep_trials(sweep);
    for (std::size_t i = 0; i < runs.size(); ++i) {
      db->begin_attempt(runs[i].run_id);
      store::MetricsRecorder(*db, runs[i].run_id).log("final/math/exact_match", 10, scores[i]);
      db->complete(runs[i].run_id);
    }
  }
  auto r = test::run_command({test::remix_bin(), "results", path, "--against", "router.plugin=softmax", "--replicate",
                              "base.pretrain.seed", "--format", "csv"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // difference 0.2; t(1) half-width 12.706 * sqrt(0.02) / sqrt(2) = 1.2706; 4 pairs, 2 bases
  EXPECT_NE(r.out.find("remix,all,softmax,final/math/exact_match,0.2"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(",1.4706"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(",4,0,4,"), std::string::npos) << r.out;
  r = test::run_command({test::remix_bin(), "results", path, "--replicate", "base.pretrain.seed"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--replicate requires --against"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace remix::report
