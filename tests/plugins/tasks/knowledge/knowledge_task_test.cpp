// The knowledge task plugin, loaded through the real loader: built-in fact questions checked against the fact
// table read here independently (right answers, held-out entities, question forms absent from the pretraining
// text, lengths), both answering styles and their scoring, ARC's numeric labels, MMLU's quoted CSV (a fixture
// and the real files), and bad input.
#include <gtest/gtest.h>

#include <fstream>
#include <set>

#include "plugins/tasks/task_fixture.h"
#include "support/test_env.h"

namespace remix {
namespace {

using nlohmann::json;
using test::start_task;

// entities.tsv read without the plugin's reader: name -> attribute -> value.
std::map<std::string, std::map<std::string, std::string>> fact_table() {
  std::ifstream in(test::source_dir() + "/datasets/facts/entities.tsv");
  std::vector<std::string> header;
  std::map<std::string, std::map<std::string, std::string>> table;
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> cells;
    std::istringstream fields(line);
    for (std::string cell; std::getline(fields, cell, '\t');) cells.push_back(cell);
    if (header.empty()) {
      header = cells;
      continue;
    }
    for (std::size_t i = 1; i < cells.size(); ++i) table[cells[0]][header[i]] = cells[i];
  }
  return table;
}

TEST(KnowledgeTask, BuiltinQuestionsAskAboutHeldOutEntitiesWithTheRightAnswer) {
  auto table = fact_table();
  ASSERT_EQ(table.size(), 300u);
  auto task = start_task("knowledge").task;
  EXPECT_EQ(task->eval_style(), EvalStyle::Choices);
  std::map<Split, std::set<std::string>> entities;
  for (Split split : {Split::Train, Split::Eval}) {
    for (const auto& e : task->examples(split)) {
      const std::string &entity = e.metadata.at("entity"), &attribute = e.metadata.at("attribute");
      entities[split].insert(entity);
      ASSERT_EQ(e.choices.size(), 4u);
      ASSERT_GE(e.label, 0);
      EXPECT_EQ(e.choices[static_cast<std::size_t>(e.label)], " " + table.at(entity).at(attribute)) << e.id;
      EXPECT_EQ(e.answer, e.choices[static_cast<std::size_t>(e.label)]);
      EXPECT_EQ(std::set<std::string>(e.choices.begin(), e.choices.end()).size(), 4u) << e.id;
      EXPECT_NE(e.prompt.find(entity), std::string::npos);
      EXPECT_LE(e.prompt.size() + e.answer.size(), 96u) << e.prompt;
    }
  }
  // The first 100 entities of the table (its order is by name), 30 of them held out for eval.
  EXPECT_EQ(entities[Split::Eval].size(), 30u);
  EXPECT_EQ(entities[Split::Train].size(), 70u);
  for (const auto& name : entities[Split::Eval]) EXPECT_FALSE(entities[Split::Train].count(name)) << name;
  EXPECT_EQ(task->examples(Split::Eval).size(), 90u);
  std::set<std::string> used = entities[Split::Eval];
  used.insert(entities[Split::Train].begin(), entities[Split::Train].end());
  std::set<std::string> first;
  for (const auto& [name, facts] : table)
    if (first.size() < 100) first.insert(name);
  EXPECT_EQ(used, first);

  // Every fact of every entity used (eval ones too) is in the pretraining text, in all five wordings; no
  // question form is, and no entity that is not used.
  std::string pretraining = task->pretraining_text();
  for (const auto& [name, facts] : table) {
    bool in_text = pretraining.find(name + " lives in " + facts.at("city") + ".") != std::string::npos;
    EXPECT_EQ(in_text, used.count(name) == 1) << name;
  }
  for (const char* form : {"Q:", "Where does", "What colour does", "do for a living", "?"})
    EXPECT_EQ(pretraining.find(form), std::string::npos) << form;
  EXPECT_EQ(std::count(pretraining.begin(), pretraining.end(), '\n'), 100 * 3 * 5);

  // The gold choice scores 1, another 0, and the answers are spread over the positions.
  auto eval = task->examples(Split::Eval);
  std::vector<Prediction> right, wrong;
  std::set<std::int64_t> labels;
  for (const auto& e : eval) {
    std::vector<double> lp(e.choices.size(), -5.0);
    lp[static_cast<std::size_t>(e.label)] = -1.0;
    right.push_back({"", lp});
    std::swap(lp[static_cast<std::size_t>(e.label)], lp[static_cast<std::size_t>((e.label + 1) % 4)]);
    wrong.push_back({"", lp});
    labels.insert(e.label);
  }
  EXPECT_EQ(test::mean(task->score(eval, right)), 1.0);
  EXPECT_EQ(test::mean(task->score(eval, wrong)), 0.0);
  EXPECT_EQ(labels.size(), 4u);
}

TEST(KnowledgeTask, FactTableIsWhatItsScriptWrites) {
  test::TempDir dir;
  auto r = test::run_command(
      {"/usr/bin/env", "python3", test::source_dir() + "/datasets/facts/make_facts.py", dir.file("e.tsv")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(test::read_file(dir.file("e.tsv")), test::read_file(test::source_dir() + "/datasets/facts/entities.tsv"));
}

TEST(KnowledgeTask, BuiltinIsDeterministicAndKnobsWork) {
  auto a = test::all_examples(*start_task("knowledge").task), b = test::all_examples(*start_task("knowledge").task);
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].prompt + a[i].answer, b[i].prompt + b[i].answer);
  auto other = start_task("knowledge", {{"data_seed", 5}}).task->examples(Split::Eval);
  EXPECT_NE(other[0].id, start_task("knowledge").task->examples(Split::Eval)[0].id);

  auto small =
      start_task("knowledge", {{"eval_entities", 10}, {"attributes", {"job"}}, {"num_choices", 2}, {"fact_forms", 1}});
  auto eval = small.task->examples(Split::Eval);
  EXPECT_EQ(eval.size(), 10u);
  for (const auto& e : eval) {
    EXPECT_EQ(e.metadata.at("attribute"), "job");
    EXPECT_EQ(e.choices.size(), 2u);
  }
  std::string pretraining = small.task->pretraining_text();
  EXPECT_EQ(std::count(pretraining.begin(), pretraining.end(), '\n'), 100);
  auto all = start_task("knowledge", {{"entities", 0}, {"eval_entities", 60}});
  EXPECT_EQ(all.task->examples(Split::Eval).size(), 180u);
  EXPECT_EQ(all.task->examples(Split::Train).size(), 720u);
  std::string error = test::start_error("knowledge", {{"attributes", {"height"}}});
  EXPECT_NE(error.find("no attribute 'height'"), std::string::npos) << error;
  error = test::start_error("knowledge", {{"eval_entities", 100}});
  EXPECT_NE(error.find("leaves no train entities (of the 100 entities used)"), std::string::npos) << error;
  error = test::start_error("knowledge", {{"entities", 301}});
  EXPECT_NE(error.find("entities 301 is more than the 300 the fact table has (entities: 0 uses all of them)"),
            std::string::npos)
      << error;
}

TEST(KnowledgeTask, LetterAnswersAndLengthNormalisedLoglik) {
  auto task = start_task("knowledge", {{"answer_by", "letter"}}).task;
  EXPECT_EQ(task->eval_style(), EvalStyle::Generate);
  EXPECT_EQ(task->generation().stop, std::vector<std::string>{"\n"});
  auto e = task->examples(Split::Eval)[0];
  EXPECT_NE(e.prompt.find("\nA. "), std::string::npos);
  EXPECT_NE(e.prompt.find("\nD. "), std::string::npos);
  EXPECT_EQ(e.prompt.substr(e.prompt.size() - 7), "Answer:");
  std::string letter(1, static_cast<char>('A' + e.label)), other(1, static_cast<char>('A' + (e.label + 1) % 4));
  EXPECT_EQ(e.answer, " " + letter + "\n");
  std::size_t longest = 0;
  for (const auto& x : test::all_examples(*task)) longest = std::max(longest, x.prompt.size() + x.answer.size());
  EXPECT_LE(longest, 96u);
  RecordProperty("letter_longest_example_bytes", static_cast<int>(longest));
  std::vector<Example> four(4, e);
  EXPECT_EQ(task->score(four, {{" " + letter + "\nmore", {}}, {letter, {}}, {" " + other, {}}, {"", {}}}),
            (std::vector<double>{1, 1, 0, 0}));

  // Length normalisation turns a long choice's larger total into a smaller per-byte value.
  auto norm = start_task("knowledge", {{"length_normalize", true}}).task;
  auto n = norm->examples(Split::Eval)[0];
  std::vector<double> lp(n.choices.size(), -100.0);
  lp[static_cast<std::size_t>(n.label)] =
      -0.5 * static_cast<double>(n.choices[static_cast<std::size_t>(n.label)].size());
  EXPECT_EQ(norm->score({n}, {{"", lp}}), std::vector<double>{1});
  EXPECT_THROW(norm->score({n}, {{"", {-1.0}}}), std::invalid_argument);
}

TEST(KnowledgeTask, ArcNumericLabelsNormalisedByPosition) {
  REMIX_REQUIRE_SHARED(shared);
  std::string dir = shared + "/datasets/arc/";
  auto task = start_task("knowledge", {{"source", "arc"},
                                       {"train_file", dir + "ARC-Easy-Train.jsonl"},
                                       {"eval_file", dir + "ARC-Easy-Test.jsonl"},
                                       {"max_example_bytes", 0}})
                  .task;
  auto eval = task->examples(Split::Eval);
  EXPECT_EQ(eval.size(), 2376u);
  EXPECT_EQ(task->examples(Split::Train).size(), 2251u);
  // Read the numeric-label questions independently and check the label is answerKey's position.
  std::ifstream in(dir + "ARC-Easy-Test.jsonl");
  std::map<std::string, const Example*> by_id;
  for (const auto& e : eval) by_id[e.id] = &e;
  int numeric = 0;
  for (std::string line; std::getline(in, line);) {
    auto record = json::parse(line);
    const auto& choices = record["question"]["choices"];
    if (choices[0]["label"] != "1") continue;
    ++numeric;
    const Example& e = *by_id.at("arc/" + record["id"].get<std::string>());
    std::int64_t expected = std::stoi(record["answerKey"].get<std::string>()) - 1;
    EXPECT_EQ(e.label, expected) << e.id;
    EXPECT_EQ(e.choices[static_cast<std::size_t>(e.label)], " " + choices[expected]["text"].get<std::string>());
    EXPECT_EQ(e.choices.size(), choices.size());
  }
  EXPECT_EQ(numeric, 97);
  std::set<std::size_t> sizes;
  for (const auto& e : eval) sizes.insert(e.choices.size());
  EXPECT_EQ(sizes, (std::set<std::size_t>{3, 4, 5}));
}

TEST(KnowledgeTask, ArcAnswerKeyNotAmongTheChoices) {
  test::TempDir dir;
  std::string q = R"({"id": "x1", "question": {"stem": "s", "choices": [{"text": "a", "label": "A"}, )"
                  R"({"text": "b", "label": "B"}, {"text": "c", "label": "C"}]}, "answerKey": )";
  std::string path = dir.write("arc.jsonl", q + "\"B\"}\n" + q + "\"E\"}\n");
  std::string error = test::start_error("knowledge", {{"source", "arc"}, {"train_file", path}, {"eval_file", path}});
  EXPECT_NE(error.find(path + ":2: answerKey 'E' is not among the choice labels A, B, C"), std::string::npos) << error;
  auto skipped = start_task("knowledge",
                            {{"source", "arc"}, {"train_file", path}, {"eval_file", path}, {"skip_bad_records", true}});
  EXPECT_EQ(skipped.task->examples(Split::Eval).size(), 1u);
  EXPECT_EQ(skipped.task->stats().at("skipped_records"), 2);  // once per file read (train and eval)
  std::string no_stem = dir.write("nostem.jsonl", R"({"id": "y", "question": {"choices": []}, "answerKey": "A"})");
  error = test::start_error("knowledge", {{"source", "arc"}, {"train_file", no_stem}, {"eval_file", path}});
  EXPECT_NE(error.find(no_stem + ":1: record has no field 'stem'"), std::string::npos) << error;
}

TEST(KnowledgeTask, MmluCsvWithQuotedCommasAndLineBreaks) {
  test::TempDir dir;
  dir.write("mmlu/test/history_test.csv",
            "question,choice0,choice1,choice2,choice3,answer\n"
            "\"Which, of these\nspans lines?\",\"a, b\",\"say \"\"c\"\"\",d,e,2\n"
            "Plain question,w,x,y,z,0\n");
  dir.write("mmlu/test/algebra_test.csv", "\"Original layout, no header\",1,2,3,4,D\r\n");
  std::string folder = dir.file("mmlu/test");
  auto task = start_task("knowledge", {{"source", "mmlu"}, {"train_file", folder}, {"eval_file", folder}}).task;
  auto eval = task->examples(Split::Eval);
  ASSERT_EQ(eval.size(), 3u);
  EXPECT_EQ(eval[0].id, "mmlu/algebra/0");  // files in name order
  EXPECT_EQ(eval[0].label, 3);
  EXPECT_EQ(eval[0].choices[3], " 4");
  EXPECT_EQ(eval[1].prompt, "Q: Which, of these\nspans lines?\nA:");
  EXPECT_EQ(eval[1].choices, (std::vector<std::string>{" a, b", " say \"c\"", " d", " e"}));
  EXPECT_EQ(eval[1].label, 2);
  EXPECT_EQ(eval[1].metadata.at("subject"), "history");
  EXPECT_EQ(eval[2].metadata.at("source"), folder + "/history_test.csv:4");

  std::string bad = dir.write("bad.csv", "q,a,b,c,d,7\nq,a,b,c\n\"open,a,b,c,d,1\n");
  std::string error = test::start_error("knowledge", {{"source", "mmlu"}, {"train_file", bad}, {"eval_file", bad}});
  EXPECT_NE(error.find(bad + ":3: quoted field is never closed"), std::string::npos) << error;
  std::string wrong = dir.write("wrong.csv", "q,a,b,c,d,7\nq,a,b,c\nq,a,b,c,d,B\n");
  error = test::start_error("knowledge", {{"source", "mmlu"}, {"train_file", wrong}, {"eval_file", wrong}});
  EXPECT_NE(error.find(wrong + ":1: answer '7' is not 0-3 or A-D"), std::string::npos) << error;
  auto skipping = start_task(
      "knowledge", {{"source", "mmlu"}, {"train_file", wrong}, {"eval_file", wrong}, {"skip_bad_records", true}});
  EXPECT_EQ(skipping.task->examples(Split::Eval).size(), 1u);
  EXPECT_EQ(skipping.task->stats().at("skipped_records"), 4);
  EXPECT_EQ(skipping.warnings.size(), 2u);
}

TEST(KnowledgeTask, MmluRealFiles) {
  REMIX_REQUIRE_SHARED(shared);
  std::string dir = shared + "/datasets/mmlu/";
  auto task =
      start_task(
          "knowledge",
          {{"source", "mmlu"}, {"train_file", dir + "dev"}, {"eval_file", dir + "test"}, {"max_example_bytes", 0}})
          .task;
  EXPECT_EQ(task->examples(Split::Train).size(), 285u);
  auto eval = task->examples(Split::Eval);
  EXPECT_EQ(eval.size(), 14042u);
  std::set<std::string> subjects;
  int multiline = 0;
  for (const auto& e : eval) {
    subjects.insert(e.metadata.at("subject"));
    ASSERT_EQ(e.choices.size(), 4u);
    multiline += e.prompt.find('\n') + 4 < e.prompt.size();
  }
  EXPECT_EQ(subjects.size(), 57u);
  EXPECT_GT(multiline, 0);  // questions whose quoted text spans lines came through whole
}

TEST(KnowledgeTask, MissingFilesNameThemselves) {
  std::string error = test::start_error(
      "knowledge", {{"source", "mmlu"}, {"train_file", "/nonexistent/dev"}, {"eval_file", "/nonexistent/test"}});
  EXPECT_NE(error.find("tasks.knowledge.train_file: data file not found: /nonexistent/dev"), std::string::npos)
      << error;
  error = test::start_error("knowledge", {{"facts_file", "/nonexistent/facts.tsv"}});
  EXPECT_NE(error.find("fact table not found: /nonexistent/facts.tsv"), std::string::npos) << error;
}

}  // namespace
}  // namespace remix
