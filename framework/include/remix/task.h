// The task interface: what a task plugin implements to give train and eval examples, optional pretraining
// text, and a scorer (docs/architecture.md §7). Scoring works on text and choices; generation and log-likelihoods are
// computed by the host's trainer and handed in as `Prediction`s.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "remix/params.h"

namespace remix {

struct Example {
  std::string id;                    // stable within the task (e.g. "HumanEval/0", "gen-42")
  std::string prompt;                // the text the model is conditioned on, template already applied
  std::string answer;                // the target continuation (training target; gold text for generation)
  std::vector<std::string> choices;  // multiple-choice continuations (empty for generation tasks)
  std::int64_t label = -1;           // index of the correct choice
  std::map<std::string, std::string> metadata;  // task-specific (tests, entry point, source file:line, ...)
  // metadata["split_group"]: training examples that share it (several wordings of one fact) are held out for
  // validation together (eval.validation), so a validation example is never answered by a near copy in training.
};

enum class Split : std::uint32_t { Train = 0, Eval = 1 };
// How the host evaluates a task: generate text, or compare the log-likelihood of each choice.
enum class EvalStyle : std::uint32_t { Generate = 0, Choices = 1 };

struct Prediction {
  std::string text;                   // generated continuation (EvalStyle::Generate)
  std::vector<double> choice_logprobs; // log-likelihood of each choice (EvalStyle::Choices)
};

// How the host generates an answer for EvalStyle::Generate. Lengths are in bytes of text: with the byte-level
// tokenizer that is also the token budget; with a subword tokenizer it is an upper bound on it.
struct GenerationSpec {
  std::int64_t max_answer_bytes = 256;  // stop generating after this many bytes
  // Stop as soon as the generated text contains one of these. score() cuts the text at the first stop
  // string itself, so the host may hand it in with or without the stop string and whatever followed it.
  std::vector<std::string> stop;
};

struct TaskContext {
  std::string name;          // the task's key in the config (tasks.<name>)
  std::uint64_t seed = 0;    // the trial seed; generators must be deterministic under it
  // remix's datasets/ folder (built-in fact tables, templates): the source tree's in a build tree,
  // share/remix/datasets when installed. Empty when the host does not know it.
  std::string data_dir;
  std::function<void(const std::string&)> warn = [](const std::string&) {};
};

class Task {
 public:
  virtual ~Task() = default;
  virtual std::vector<Example> examples(Split split) = 0;
  // Text the built-in base model is pretrained on (empty if the task contributes none).
  virtual std::string pretraining_text() { return {}; }
  virtual EvalStyle eval_style() const = 0;
  // Limits and stop strings for generating answers (EvalStyle::Generate); unused for Choices.
  virtual GenerationSpec generation() const { return {}; }
  // Name of the per-sample score the task reports ("exact_match", "pass@1", "accuracy").
  virtual std::string metric_name() const = 0;
  // One score in [0, 1] per example; predictions[i] belongs to examples[i].
  virtual std::vector<double> score(const std::vector<Example>& examples,
                                    const std::vector<Prediction>& predictions) = 0;
  // Counters worth recording with the run (e.g. skipped_records) and descriptive tags (e.g. sandbox kind).
  virtual std::map<std::string, double> stats() const { return {}; }
  virtual std::map<std::string, std::string> tags() const { return {}; }
};

}  // namespace remix
