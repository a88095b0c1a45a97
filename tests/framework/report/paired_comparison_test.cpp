// `remix results --against`: each group is paired with the baseline seed by seed and example by example; its
// difference is the mean of the per-example differences; seeds one side lacks are counted, not used; without
// per-example outcomes each seed is one example; a key that does not vary or a value no trial has is refused naming
// what there is; a replicate key (--replicate) pairs by its value and the seed instead of making groups.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <cmath>
#include <map>

#include "remix/errors.h"
#include "report/paired_comparison.h"

namespace remix::report {
namespace {

TrialRecord trial(std::int64_t id, const std::string& router, const std::string& seed, double accuracy) {
  TrialRecord t;
  t.run_id = id;
  t.status = "completed";
  t.params = {{"router.plugin", router}, {"seed", seed}, {"train.lr", "0.01"}};
  t.metrics = {{"final/math/exact_match", accuracy}, {"final/params/lora_active_per_token", 100}};
  return t;
}

struct Fixture {
  std::vector<TrialRecord> trials;
  FinalOutcomes outcomes;
  Fixture() {
    // Baseline softmax; remix wins examples 0 and 1 on every seed; seed 3 has no softmax run.
    const std::vector<std::vector<double>> soft = {{0, 0, 1, 1}, {0, 1, 1, 0}}, rem = {{1, 1, 1, 1}, {1, 1, 1, 0}};
    for (int s = 0; s < 2; ++s) {
      trials.push_back(trial(10 + s, "softmax", std::to_string(s + 1), 0));
      trials.push_back(trial(20 + s, "remix", std::to_string(s + 1), 0));
      outcomes[10 + s]["final/math/exact_match"] = soft[s];
      outcomes[20 + s]["final/math/exact_match"] = rem[s];
    }
    for (auto& t : trials) {
      double sum = 0;
      for (double x : outcomes[t.run_id]["final/math/exact_match"]) sum += x;
      t.metrics["final/math/exact_match"] = sum / 4;
    }
    trials.push_back(trial(23, "remix", "3", 0.9));
  }
};

TEST(PairedComparison, PairsBySeedAndExampleAndCountsTheUnpairedSeed) {
  Fixture f;
  auto q = parse_against("router.plugin=softmax");
  auto table = paired_comparison(f.trials, f.outcomes, q);
  ASSERT_EQ(table.long_.rows.size(), 1u);  // one group (remix), one score metric (parameter counts are not scores)
  const auto& row = table.long_.rows[0];
  EXPECT_EQ(row[0], "remix");
  EXPECT_EQ(row[3], "final/math/exact_match");
  EXPECT_DOUBLE_EQ(row[4].get<double>(), 0.375);  // seed 1: +0.5, seed 2: +0.25
  EXPECT_EQ(row[9], 2);                            // paired seeds
  EXPECT_EQ(row[10], 1);                           // seed 3 has no baseline
  EXPECT_EQ(row[11], 8);                           // paired examples
  EXPECT_LE(row[5].get<double>(), 0.375);
  EXPECT_GE(row[6].get<double>(), 0.375);
  EXPECT_EQ(table.wide.columns[0], "router.plugin");
}

TEST(PairedComparison, AnEvalMetricKeepsItsWholeNameInTheTable) {
  // It showed "ode/loss" for eval/code/loss: the label dropped "final/"'s length whatever the stage was.
  Fixture f;
  for (auto& t : f.trials) t.metrics["eval/code/loss"] = t.run_id >= 20 ? 0.5 : 0.75;
  auto q = parse_against("router.plugin=softmax");
  q.metrics = {"eval/code/loss", "final/math/exact_match"};
  auto table = paired_comparison(f.trials, f.outcomes, q);
  ASSERT_EQ(table.wide.rows.size(), 2u);
  EXPECT_EQ(table.wide.rows[0][1], "code/loss");
  EXPECT_EQ(table.wide.rows[1][1], "math/exact_match");
  EXPECT_DOUBLE_EQ(table.long_.rows[0][4].get<double>(), -0.25);
}

TEST(PairedComparison, WithoutOutcomesEachSeedIsOneExample) {
  Fixture f;
  auto table = paired_comparison(f.trials, {}, parse_against("router.plugin=softmax"));
  EXPECT_DOUBLE_EQ(table.long_.rows[0][4].get<double>(), 0.375);
  EXPECT_EQ(table.long_.rows[0][11], 2);
}

// Differences that cancel but for rounding print as zero, not as +2.313e-18 (seen in the comparison's table).
TEST(PairedComparison, ADifferenceThatIsZeroButForRoundingPrintsAsZero) {
  std::vector<TrialRecord> trials;
  const std::vector<double> base = {0.5, 0.5, 0.6}, group = {0.6, 0.7, 0.3};  // +0.1, +0.2, -0.3 in floating point
  for (int s = 0; s < 3; ++s) {
    trials.push_back(trial(10 + s, "softmax", std::to_string(s), base[s]));
    trials.push_back(trial(20 + s, "remix", std::to_string(s), group[s]));
  }
  auto table = paired_comparison(trials, {}, parse_against("router.plugin=softmax"));
  ASSERT_EQ(table.wide.rows.size(), 1u);
  EXPECT_EQ(table.wide.rows[0][2], "+0") << table.wide.rows[0][2];
}

// Two keys that decide each other (here `variant` and router.plugin): the tables show one of them, and naming the
// other in --against pairs the same way (a bug: it was refused as not varying, being left out of the tables).
TEST(PairedComparison, AgainstAKeyThatDecidesAnotherPairsAsAgainstThatKey) {
  Fixture f;
  for (auto& t : f.trials) t.params["variant"] = t.params["router.plugin"] == "remix" ? "mix" : "soft";
  auto by_variant = paired_comparison(f.trials, f.outcomes, parse_against("variant=soft"));
  auto by_router = paired_comparison(f.trials, f.outcomes, parse_against("router.plugin=softmax"));
  ASSERT_EQ(by_variant.long_.rows.size(), 1u);
  EXPECT_EQ(by_variant.long_.rows[0][0], "mix");
  for (std::size_t c : {3, 4, 9, 10, 11})  // metric, difference, paired and unpaired seeds, paired examples
    EXPECT_EQ(by_variant.long_.rows[0][c], by_router.long_.rows[0][c]) << c;
}

// A bundle's name is no parameter, only part of each trial's name: --against variant=soft was refused as not varying
// (compare_compute.yaml's own header told researchers to run it).
TEST(PairedComparison, AgainstABundleAxisReadsItFromTheTrialNames) {
  Fixture f;
  for (auto& t : f.trials)
    t.name = fmt::format("variant={} train.lr=1.0e-2 seed={}", t.params["router.plugin"] == "remix" ? "mix" : "soft",
                         t.params["seed"]);
  auto by_variant = paired_comparison(f.trials, f.outcomes, parse_against("variant=soft"));
  auto by_router = paired_comparison(f.trials, f.outcomes, parse_against("router.plugin=softmax"));
  ASSERT_EQ(by_variant.long_.rows.size(), 1u);
  EXPECT_EQ(by_variant.long_.rows[0][0], "mix");
  EXPECT_EQ(by_variant.wide.columns[0], "variant");
  for (std::size_t c : {3, 4, 9, 10, 11}) EXPECT_EQ(by_variant.long_.rows[0][c], by_router.long_.rows[0][c]) << c;
}

// Two bases (base.pretrain.seed 7 and 8), each finetuned with seeds 1 and 2 by both routers. Without --replicate the
// bases are two groups; with it they are one, paired by base and seed, its t-interval over the two bases' means.
TEST(PairedComparison, AReplicateKeyPairsByItAndTheSeedInsteadOfMakingGroups) {
  std::vector<TrialRecord> trials;
  std::int64_t id = 1;
  const std::map<std::string, double> gain = {{"7", 0.1}, {"8", 0.3}};  // remix − softmax, per base
  for (const std::string base : {"7", "8"})
    for (const std::string seed : {"1", "2"})
      for (const std::string router : {"softmax", "remix"}) {
        trials.push_back(trial(id++, router, seed, router == "remix" ? 0.5 + gain.at(base) : 0.5));
        trials.back().params["base.pretrain.seed"] = base;
      }
  auto per_base = paired_comparison(trials, {}, parse_against("router.plugin=softmax"));
  ASSERT_EQ(per_base.long_.rows.size(), 2u);
  EXPECT_EQ(per_base.long_.rows[0][9], 2);

  auto q = parse_against("router.plugin=softmax");
  q.replicates = {"base.pretrain.seed"};
  auto table = paired_comparison(trials, {}, q);
  ASSERT_EQ(table.long_.rows.size(), 1u);
  const auto& row = table.long_.rows[0];
  EXPECT_NEAR(row[4].get<double>(), 0.2, 1e-12);
  EXPECT_NEAR(row[8].get<double>() - 0.2, 12.706 * std::sqrt(0.02) / std::sqrt(2.0), 1e-9);  // t(1) over 2 bases
  EXPECT_EQ(row[9], 4);    // paired (base, seed) pairs
  EXPECT_EQ(row[13], 2);   // bases
  EXPECT_EQ(table.wide.columns[4], "95% t (base.pretrain.seed)");
  EXPECT_EQ(table.wide.columns.back(), "base.pretrain.seed");

  auto refused = [&](const std::string& key) {
    auto r = q;
    r.replicates = {key};
    try {
      paired_comparison(trials, {}, r);
    } catch (const UserError& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  EXPECT_NE(refused("router.plugin").find("--replicate router.plugin: it is the --against key"), std::string::npos)
      << refused("router.plugin");
  EXPECT_NE(refused("seed").find("--replicate seed: pairs are always by seed"), std::string::npos) << refused("seed");
  EXPECT_NE(refused("base.seed").find("--replicate base.seed: no completed trial has that key; these vary: "),
            std::string::npos)
      << refused("base.seed");
}

TEST(PairedComparison, BadBaselinesAreRefusedNamingWhatThereIs) {
  Fixture f;
  auto message = [&](const std::string& against) {
    try {
      paired_comparison(f.trials, f.outcomes, parse_against(against));
    } catch (const UserError& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  EXPECT_NE(message("train.lr=0.01").find("'train.lr' does not vary among the completed trials; these do: "
                                          "router.plugin"),
            std::string::npos)
      << message("train.lr=0.01");
  EXPECT_NE(message("router.plugn=hydra").find("no completed trial has the key 'router.plugn' (did you mean "
                                               "'router.plugin'?)"),
            std::string::npos)
      << message("router.plugn=hydra");
  EXPECT_NE(message("router.plugin=hydra").find("no completed trial has that value; router.plugin is one of: "
                                                "remix, softmax"),
            std::string::npos)
      << message("router.plugin=hydra");
  for (const char* bad : {"router.plugin", "=softmax", "router.plugin="})
    EXPECT_THROW(parse_against(bad), UserError) << bad;
}

}  // namespace
}  // namespace remix::report
