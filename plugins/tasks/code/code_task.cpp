// The `code` task plugin: HumanEval, MBPP, or built-in Python function tasks (function_tasks.h); metric
// pass@1 by running each candidate with its tests in the sandboxed executor (executor.h). The executor is
// set up when the task starts, so a missing python3 or an unusable sandbox stops the run before any work.
#include <remix/plugin.h>

#include <set>

#include "tasks/code/benchmarks.h"
#include "tasks/code/executor.h"
#include "tasks/code/function_tasks.h"
#include "tasks/common/dataset_task.h"
#include "tasks/common/rng.h"
#include "tasks/common/task_params.h"
#include "tasks/common/text.h"

namespace remix::tasks::code {
namespace {

using remix::param;
using remix::ParamType;

const remix::ParamSpec kParams[] = {
    param("source", ParamType::Choice, "builtin", "where problems come from").one_of("builtin|humaneval|mbpp"),
    params::data_file("data_file", "humaneval: HumanEval.jsonl (eval only); mbpp: mbpp.jsonl (both splits)"),
    params::n_train("train problems: built-in makes this many (0 = 800); mbpp takes the first N (0 = all)"),
    params::n_eval("eval problems: built-in makes this many (0 = 100); files: the first N (0 = all)"),
    param("families", ParamType::StringList, "[arith, map, filter, reduce, string]", "built-in: kinds of function")
        .one_of("arith|map|filter|reduce|string"),
    param("steps", ParamType::Int, "2", "built-in: operations per function").range(1, 4),
    param("max_constant", ParamType::Int, "9", "built-in: largest constant in a function").range(2, 99),
    param("tests_per_problem", ParamType::Int, "3", "built-in: asserts per problem").range(1, 8),
    param("pretrain_functions", ParamType::Int, "1500", "built-in: code lines in the pretraining text").range(0, 1e6),
    param("python", ParamType::String, "auto",
          "interpreter for samples: auto (the first python3 on PATH that runs in the sandbox), a name or a path"),
    param("sandbox", ParamType::Choice, "auto", "auto: bubblewrap where it works, else rlimits (with a warning)")
        .one_of("auto|bubblewrap|rlimits"),
    param("workers", ParamType::Int, "2", "samples run at once").range(1, 256).not_in_key(),
    // CPU time is the limit that matters (it does not depend on how busy the machine is); the wall clock,
    // longer, catches programs that sleep or wait.
    param("time_limit_s", ParamType::Float, "10", "wall-clock seconds per sample").range(0.1, 3600),
    param("cpu_time_limit_s", ParamType::Float, "5", "CPU seconds per process of a sample").range(0.1, 3600),
    param("memory_limit_mb", ParamType::Int, "512", "address space per process (MiB)").range(64, 1 << 20),
    param("max_processes", ParamType::Int, "16", "processes and threads a sample may run at once").range(1, 4096),
    param("max_file_size_mb", ParamType::Int, "16", "largest file a sample may write (MiB)").range(1, 1 << 20),
    param("output_limit_kb", ParamType::Int, "64", "output kept per sample; more fails it (KiB)").range(1, 1 << 20),
    param("scratch_mb", ParamType::Int, "32", "bubblewrap: size of the private /tmp and working folder (MiB)")
        .range(1, 1 << 20),
    param("sandbox_uid_base", ParamType::Int, "1900000000", "as root: first unprivileged uid samples run as")
        .range(1000, 2147000000)
        .not_in_key(),
    params::kFewShot,
    params::kDataSeed,
    params::kSkipBadRecords,
    params::kMaxExampleBytes,
};

constexpr const char* kHumanEvalHint = "HumanEval: github.com/openai/human-eval, data/HumanEval.jsonl.gz, gunzipped";
constexpr const char* kMbppHint = "MBPP: github.com/google-research/google-research, mbpp/mbpp.jsonl";
// Where a model's continuation of a HumanEval prompt ends (Codex's stop sequences).
const std::vector<std::string> kHumanEvalStops = {"\ndef ", "\nclass ", "\nif __name__", "\nprint(", "\n#"};
const std::vector<std::string> kMbppStops = {"\nassert", "\n\"\"\"", "\nif __name__", "\nprint("};

Example to_example(const std::string& id, const std::string& prompt, const std::string& answer,
                   const std::string& prefix, const std::string& tests) {
  Example e;
  e.id = id;
  e.prompt = prompt;
  e.answer = answer;
  e.metadata["program_prefix"] = prefix;
  e.metadata["tests"] = tests;
  return e;
}

ExecutorOptions executor_options(const Params& p, const TaskContext& c) {
  ExecutorOptions o;
  o.python = p.get_string("python");
  o.sandbox = p.get_string("sandbox");
  o.workers = static_cast<int>(p.get_int("workers"));
  o.uid_base = p.get_int("sandbox_uid_base");
  o.param_prefix = "tasks." + c.name;
  o.warn = c.warn;
  ProcessLimits& l = o.settings.limits;
  l.wall_seconds = p.get_float("time_limit_s");
  l.cpu_seconds = p.get_float("cpu_time_limit_s");
  l.memory_bytes = p.get_int("memory_limit_mb") << 20;
  l.processes = p.get_int("max_processes");
  l.file_bytes = p.get_int("max_file_size_mb") << 20;
  l.open_files = 256;
  l.output_bytes = static_cast<std::size_t>(p.get_int("output_limit_kb")) << 10;
  o.settings.scratch_bytes = p.get_int("scratch_mb") << 20;
  o.settings.label = "remix-code:" + c.name;
  return o;
}

class CodeTask : public DatasetTask {
 public:
  CodeTask(const Params& p, const TaskContext& c) : DatasetTask(p, c), executor_(executor_options(p, c)) {
    std::string source = p.get_string("source");
    tags_["source"] = source;
    for (const auto& [key, value] : executor_.describe()) tags_[key] = value;
    if (source == "builtin") {
      build_functions(p);
    } else {
      bool humaneval = source == "humaneval";
      std::string path = data_file(p, "data_file", source, humaneval ? kHumanEvalHint : kMbppHint);
      CodeBenchmark b = humaneval ? read_humaneval(path, bad_records()) : read_mbpp(path, bad_records());
      for (auto [from, to] :
           {std::pair{&b.train, &train_}, std::pair{&b.eval, &eval_}, std::pair{&b.few_shot_pool, &few_shot_pool_}})
        for (const auto& problem : *from)
          to->push_back(to_example(problem.id, problem.prompt, problem.answer, problem.program_prefix, problem.tests));
      generation_ = {1024, humaneval ? kHumanEvalStops : kMbppStops};
    }
    finish();
  }

  EvalStyle eval_style() const override { return EvalStyle::Generate; }
  std::string metric_name() const override { return "pass@1"; }

  std::vector<double> score(const std::vector<Example>& examples, const std::vector<Prediction>& predictions) override {
    check_predictions(examples, predictions);
    std::vector<std::string> programs;
    for (std::size_t i = 0; i < examples.size(); ++i)
      programs.push_back(examples[i].metadata.at("program_prefix") +
                         cut_at_stop(predictions[i].text, generation_.stop) + "\n\n" +
                         examples[i].metadata.at("tests"));
    std::vector<double> scores;
    for (const auto& r : executor_.run(programs)) {
      scores.push_back(r.passed() ? 1.0 : 0.0);
      ++outcomes_[std::string("samples_") + outcome_name(r.outcome)];
    }
    return scores;
  }

  std::map<std::string, double> stats() const override {
    auto s = DatasetTask::stats();
    for (const auto& [key, count] : outcomes_) s[key] = static_cast<double>(count);
    return s;
  }

 private:
  void build_functions(const Params& p) {
    generation_ = {64, {"\n"}};
    FunctionTaskOptions options;
    options.families = p.get_strings("families");
    options.steps = static_cast<int>(p.get_int("steps"));
    options.max_constant = p.get_int("max_constant");
    options.tests = static_cast<int>(p.get_int("tests_per_problem"));
    if (options.families.empty()) throw ConfigError("tasks." + context().name + ".families is empty");
    std::set<std::string> eval_specs, used;
    auto make = [&](Rng& rng) { return make_function_task(rng, options); };
    auto fresh = [&](const FunctionTask& t) { return !eval_specs.count(t.spec) && used.insert(t.spec).second; };
    auto not_eval = [&](const FunctionTask& t) { return !eval_specs.count(t.spec); };
    const char* hint = "ask for fewer, or allow more families, steps or a larger max_constant";
    auto into = [](std::vector<Example>& out, const char* split) {
      return [&out, split](const FunctionTask& t, std::int64_t i) {
        std::string tests;
        for (const auto& a : t.tests) tests += a + "\n";
        Example e = to_example(std::string("gen/") + split + "/" + std::to_string(i), t.prompt(), t.expression + "\n",
                               t.prompt(), tests);
        e.metadata["spec"] = t.spec;
        e.metadata["args"] = t.args;
        out.push_back(std::move(e));
      };
    };
    draw("eval", requested_eval() > 0 ? requested_eval() : 100, "functions", hint, make, fresh, into(eval_, "eval"));
    for (const auto& e : eval_) eval_specs.insert(e.metadata.at("spec"));
    draw("train", requested_train() > 0 ? requested_train() : 800, "functions", hint, make, fresh,
         into(train_, "train"));
    // Pretraining lines may repeat train functions (in another form) but never an eval one.
    draw("pretrain", p.get_int("pretrain_functions"), "functions", hint, make, not_eval,
         [&](const FunctionTask& t, std::int64_t) { pretraining_ += t.pretraining_line() + "\n"; });
  }

  Executor executor_;
  std::map<std::string, std::int64_t> outcomes_;
};

}  // namespace
}  // namespace remix::tasks::code

REMIX_TASK_PLUGIN(remix::tasks::code::CodeTask, "code", "1.0.0",
                  "Python functions: HumanEval, MBPP or built-in function tasks; pass@1 by running candidate + "
                  "tests in a sandbox",
                  remix::tasks::code::kParams)
