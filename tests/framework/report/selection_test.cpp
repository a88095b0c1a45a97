// Selection on the validation split (`results --select-by`): each group keeps the value of the searched key with
// the best mean validation metric over its completed seeds, whatever the eval metrics say; "val/loss" is the mean
// over tasks; failed trials of the chosen value stay (the tables count them); the choices table shows every
// candidate; a metric nobody recorded, or a key that does not vary, is refused saying what there is.
#include "report/selection.h"

#include <gtest/gtest.h>

#include "remix/errors.h"

namespace remix::report {
namespace {

TrialRecord trial(std::int64_t id, const std::string& router, const std::string& lr, int seed,
                  std::map<std::string, double> metrics, const std::string& status = "completed") {
  TrialRecord t;
  t.run_id = id;
  t.name = router + "-" + lr + "-" + std::to_string(seed);
  t.status = status;
  t.params = {{"router.plugin", router}, {"train.lr", lr}, {"seed", std::to_string(seed)}};
  t.metrics = std::move(metrics);
  return t;
}

// Two routers, three rates, two seeds: the validation loss prefers 1e-2 for remix and 3e-2 for softmax, while the
// eval metric would prefer another rate for each (selection must not look at it).
std::vector<TrialRecord> sweep() {
  std::vector<TrialRecord> out;
  std::int64_t id = 0;
  const std::map<std::string, std::map<std::string, double>> val_loss = {
      {"remix", {{"3e-3", 2.0}, {"1e-2", 1.0}, {"3e-2", 1.5}}},
      {"softmax", {{"3e-3", 2.0}, {"1e-2", 1.8}, {"3e-2", 1.2}}}};
  for (const auto& router : {"remix", "softmax"})
    for (const auto& lr : {"1e-2", "3e-3", "3e-2"})  // recorded out of numeric order
      for (int seed = 0; seed < 2; ++seed) {
        double v = val_loss.at(router).at(lr) + 0.1 * seed;
        double eval = lr == std::string("3e-3") ? 0.9 : 0.1;
        out.push_back(trial(++id, router, lr, seed,
                            {{"val/math/loss", v}, {"val/code/loss", v + 1}, {"final/math/exact_match", eval}}));
      }
  return out;
}

std::set<std::string> chosen(const Selection& s) {
  std::set<std::string> out;
  for (const auto& t : s.kept) out.insert(t.params.at("router.plugin") + "@" + t.params.at("train.lr"));
  return out;
}

TEST(Selection, KeepsEachGroupsBestValidationValueAndIgnoresEval) {
  auto s = select_by(sweep(), {"val/math/loss", "train.lr", {}});
  EXPECT_EQ(chosen(s), (std::set<std::string>{"remix@1e-2", "softmax@3e-2"}));
  EXPECT_EQ(s.kept.size(), 4u);  // both seeds of each
  ASSERT_EQ(s.choices.rows.size(), 2u);
  EXPECT_EQ(s.choices.columns, (std::vector<std::string>{"router.plugin", "train.lr chosen", "train.lr=3e-3",
                                                         "train.lr=1e-2", "train.lr=3e-2"}));
  EXPECT_EQ(s.choices.rows[0][0], "remix");
  EXPECT_EQ(s.choices.rows[0][1], "1e-2");
  EXPECT_EQ(s.choices.rows[0][3], "1.05 ± 0.071 (n=2) *");
  EXPECT_EQ(s.choices.rows[1][1], "3e-2");
}

TEST(Selection, ValLossIsTheMeanOverTasksAndHigherIsBetterForScores) {
  TrialRecord t =
      trial(1, "remix", "1e-2", 0, {{"val/math/loss", 1.0}, {"val/code/loss", 2.0}, {"val/math/exact_match", 0.5}});
  EXPECT_DOUBLE_EQ(selection_value(t, "val/loss"), 1.5);
  EXPECT_DOUBLE_EQ(selection_value(t, "val/exact_match"), 0.5);
  EXPECT_TRUE(std::isnan(selection_value(t, "val/pass@1")));
  auto trials = sweep();
  for (auto& x : trials) x.metrics["val/math/exact_match"] = x.params["train.lr"] == "3e-3" ? 0.7 : 0.2;
  EXPECT_EQ(chosen(select_by(trials, {"val/loss", "train.lr", {}})),
            (std::set<std::string>{"remix@1e-2", "softmax@3e-2"}));
  EXPECT_EQ(chosen(select_by(trials, {"val/exact_match", "train.lr", {}})),
            (std::set<std::string>{"remix@3e-3", "softmax@3e-3"}));
}

TEST(Selection, OnlyCompletedTrialsVoteButFailedOnesOfTheChoiceStay) {
  auto trials = sweep();
  // remix at 1e-2 seed 1 failed: the choice rests on seed 0 alone (1.0, still the best) and the failure is kept.
  trials[1].status = "failed";
  trials[1].metrics.clear();
  auto s = select_by(trials, {"val/math/loss", "train.lr", {}});
  EXPECT_EQ(chosen(s), (std::set<std::string>{"remix@1e-2", "softmax@3e-2"}));
  EXPECT_EQ(s.kept.size(), 4u);
  EXPECT_EQ(s.choices.rows[0][3], "1 (n=1) *");
}

TEST(Selection, TheWhereFilterComesFirst) {
  auto s = select_by(sweep(), {"val/math/loss", "train.lr", {{"router.plugin", "softmax"}}});
  EXPECT_EQ(chosen(s), (std::set<std::string>{"softmax@3e-2"}));
  EXPECT_EQ(s.choices.columns[0], "trials");
}

TEST(Selection, RefusesWhatItCannotChooseOn) {
  auto expect_error = [](const std::vector<TrialRecord>& trials, const SelectionQuery& q, const std::string& part) {
    try {
      select_by(trials, q);
      ADD_FAILURE() << "expected a UserError containing " << part;
    } catch (const UserError& e) {
      EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
    }
  };
  expect_error(sweep(), {"val/math/accuracy", "train.lr", {}}, "recorded: val/code/loss, val/math/loss");
  auto no_val = sweep();
  for (auto& t : no_val) t.metrics = {{"final/math/exact_match", 0.5}};
  expect_error(no_val, {"val/math/loss", "train.lr", {}}, "eval.validation");
  expect_error(sweep(), {"val/math/loss", "adapter.r", {}}, "--select-over adapter.r: the key does not vary");
}

}  // namespace
}  // namespace remix::report
