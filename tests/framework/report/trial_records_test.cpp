// The --where filter on trial records: one value or several (a comma between them means "any of"), numbers
// matched however they are written, list values and values a trial has verbatim matched whole, and every value that
// matches no trial an error naming it (a typo in one of several values must not pass silently). And the trials of
// a sweep as that sweep names them, when another sweep shares them.
#include <gtest/gtest.h>

#include <functional>

#include "remix/errors.h"
#include "report/trial_records.h"
#include "store/results_store.h"
#include "support/test_env.h"

namespace remix::report {
namespace {

std::vector<TrialRecord> three_rates() {
  std::vector<TrialRecord> trials;
  const char* rates[] = {"0.003", "0.01", "0.02"};
  for (int i = 0; i < 3; ++i)
    trials.push_back({i + 1, "trial", "completed",
                      {{"train.lr", rates[i]}, {"adapter.target_modules", i == 2 ? "[\"up\",\"down\"]" : "[\"gate\"]"}},
                      {}});
  return trials;
}

std::vector<std::string> rates_of(const std::vector<TrialRecord>& trials) {
  std::vector<std::string> out;
  for (const auto& t : trials) out.push_back(t.params.at("train.lr"));
  return out;
}

std::string message(const std::function<void()>& f) { return test::error_message<UserError>(f); }

TEST(WhereFilter, SeveralValuesKeepAnyOfThem) {
  auto trials = three_rates();
  EXPECT_EQ(rates_of(filter_trials(trials, parse_where({"train.lr=0.003,2e-2"}))),
            (std::vector<std::string>{"0.003", "0.02"}));
  EXPECT_EQ(rates_of(filter_trials(trials, parse_where({"train.lr=1e-2"}))), (std::vector<std::string>{"0.01"}));
  // Two --where options on two keys: both must hold.
  EXPECT_EQ(rates_of(filter_trials(trials, parse_where({"train.lr=0.003,0.02", "adapter.target_modules=[\"gate\"]"}))),
            (std::vector<std::string>{"0.003"}));
}

TEST(WhereFilter, AListValueOrAValueAnyTrialHasVerbatimIsOneValue) {
  auto trials = three_rates();
  trials[0].params["base.path"] = "models/a,b";
  EXPECT_EQ(rates_of(filter_trials(trials, parse_where({"base.path=models/a,b"}))),
            (std::vector<std::string>{"0.003"}));
  EXPECT_EQ(rates_of(filter_trials(trials, parse_where({"adapter.target_modules=[\"up\",\"down\"]"}))),
            (std::vector<std::string>{"0.02"}));
  EXPECT_EQ(rates_of(filter_trials(trials, parse_where({"adapter.target_modules=[\"up\",\"down\"],[\"gate\"]"}))),
            (std::vector<std::string>{"0.003", "0.01", "0.02"}));
}

TEST(WhereFilter, EachValueThatMatchesNothingIsNamed) {
  auto trials = three_rates();
  auto error = message([&] { filter_trials(trials, parse_where({"train.lr=0.003,0.05"})); });
  EXPECT_NE(error.find("no trial has the value 0.05; train.lr is one of: 0.003, 0.01, 0.02"), std::string::npos)
      << error;
  error = message([&] { filter_trials(trials, parse_where({"train.rl=0.003"})); });
  EXPECT_NE(error.find("did you mean 'train.lr'"), std::string::npos) << error;
  EXPECT_NE(message([&] { filter_trials(trials, parse_where({"train.lr=0.003,,0.01"})); })
                .find("an empty value between commas"),
            std::string::npos);
  EXPECT_NE(message([] { parse_where({"train.lr"}); }).find("expected KEY=VALUE[,VALUE...]"), std::string::npos);
  // The same key twice would keep no trial (every --where must hold): the message says how to ask for either.
  EXPECT_NE(message([] { parse_where({"seed=0", "seed=1"}); }).find("write --where seed=0,1"), std::string::npos);
}

// compare_compute's `lora-rank-32-searched` shares its first seeds with compare_rank32_rates (the same configs,
// run once); both sweeps read those trials under the first sweep's variant name, which split the searched LoRA in
// two and left it without seeds to pair with ReMix.
TEST(TrialRecords, ASweepNamesTheTrialsItSharesAsItsOwnExpansionDoes) {
  test::TempDir dir;
  auto db = store::open_store(dir.file("r.db"), store::Access::Create);
  auto experiment = db->ensure_experiment("e");
  auto trial = [](const std::string& key, const std::string& name) {
    return store::PendingRun{key, name, "trial", "{}", {{"train.lr", "0.003"}}};
  };
  db->register_sweep(experiment, "rates", "{}", {trial("k0", "variant=rank-32 train.lr=3e-3 seed=0")});
  std::vector<store::PendingRun> compute_trials = {trial("k0", "variant=rank-32-searched seed=0"),
                                                   trial("k1", "variant=remix seed=0")};
  auto compute = db->register_sweep(experiment, "compute", "{}", compute_trials);
  auto variants = [&](const std::string& sweep) {
    auto trials = load_trials(*db, sweep);
    add_axis_keys(trials, {"variant"});
    std::vector<std::string> out;
    for (const auto& t : trials) out.push_back(t.params.at("variant"));
    return out;
  };
  EXPECT_EQ(variants("rates"), (std::vector<std::string>{"rank-32"}));
  EXPECT_EQ(variants("compute"), (std::vector<std::string>{"rank-32-searched", "remix"}));
  EXPECT_EQ(db->sweep_trials(compute).at(0).name, "variant=rank-32-searched seed=0");
  // Without a sweep, a trial is the run itself, under the name it was first registered with.
  EXPECT_EQ(load_trials(*db, "").at(0).name, "variant=rank-32 train.lr=3e-3 seed=0");
  // Redefining a sweep renames its trials too.
  db->register_sweep(experiment, "rates", "{}", {trial("k0", "variant=rank-32-low train.lr=3e-3 seed=0")});
  EXPECT_EQ(variants("rates"), (std::vector<std::string>{"rank-32-low"}));
  EXPECT_EQ(variants("compute"), (std::vector<std::string>{"rank-32-searched", "remix"}));
}

}  // namespace
}  // namespace remix::report
