// The readers every task shares: RFC 4180 CSV (quoted commas, line breaks, doubled quotes, CR LF, errors
// with file:line), JSON Lines (file:line of an invalid line, field errors naming the field), the bad-record
// policy (stop by default, count and warn when skipping), and the seeded generator's determinism.
#include <gtest/gtest.h>

#include <set>

#include "remix/errors.h"
#include "support/test_env.h"
#include "tasks/common/bad_records.h"
#include "tasks/common/csv.h"
#include "tasks/common/jsonl.h"
#include "tasks/common/rng.h"
#include "tasks/common/text.h"

namespace remix::tasks {
namespace {

BadRecords strict() { return BadRecords(false, nullptr); }

TEST(Csv, QuotedCommasLineBreaksAndDoubledQuotes) {
  std::string text =
      "question,choice0,choice1,choice2,choice3,answer\r\n"
      "\"Is 1,000 big?\",yes,no,\"maybe, maybe not\",\"say \"\"what\"\"\",0\r\n"
      "\"Two\nline\r\nquestion\",a,b,c,d,3\n"
      "plain,\"\",x,y,z,1";  // no newline at the end, an empty quoted field
  auto bad = strict();
  auto records = parse_csv(text, "f.csv", bad);
  ASSERT_EQ(records.size(), 4u);
  EXPECT_EQ(records[0].fields[5], "answer");
  EXPECT_EQ(records[1].fields,
            (std::vector<std::string>{"Is 1,000 big?", "yes", "no", "maybe, maybe not", "say \"what\"", "0"}));
  EXPECT_EQ(records[1].where, "f.csv:2");
  EXPECT_EQ(records[2].fields[0], "Two\nline\r\nquestion");  // line breaks inside quotes are data
  EXPECT_EQ(records[2].fields[5], "3");
  EXPECT_EQ(records[2].where, "f.csv:3");
  EXPECT_EQ(records[3].where, "f.csv:6");  // after a record spanning lines 3-5
  EXPECT_EQ(records[3].fields, (std::vector<std::string>{"plain", "", "x", "y", "z", "1"}));
}

TEST(Csv, BlankLinesSkippedTrailingCommaKept) {
  auto bad = strict();
  auto records = parse_csv("a,b,\n\n\nc,d,e\n", "f.csv", bad);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].fields, (std::vector<std::string>{"a", "b", ""}));
  EXPECT_EQ(records[1].where, "f.csv:4");
}

TEST(Csv, UnclosedQuoteIsAnErrorAtTheLineItOpened) {
  auto bad = BadRecords(true, nullptr);  // not skippable: nothing after it can be read
  try {
    parse_csv("a,b\nc,\"never\nclosed,\n", "f.csv", bad);
    FAIL() << "no error";
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("f.csv:2: quoted field is never closed"), std::string::npos) << e.what();
  }
}

TEST(Csv, TextAfterClosingQuoteIsABadRecordSkippedWhenAsked) {
  std::string text = "\"ok\",1\n\"bad\"x,2\n\"ok\",3\n";
  auto bad = strict();
  try {
    parse_csv(text, "f.csv", bad);
    FAIL() << "no error";
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("f.csv:2: text after the closing quote"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("skip_bad_records"), std::string::npos) << e.what();
  }
  std::vector<std::string> warnings;
  BadRecords skipping(true, [&](const std::string& w) { warnings.push_back(w); });
  auto records = parse_csv(text, "f.csv", skipping);
  skipping.end_file("f.csv");
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[1].fields[1], "3");
  EXPECT_EQ(skipping.total(), 1);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("skipped 1 bad record of f.csv"), std::string::npos) << warnings[0];
}

TEST(Jsonl, InvalidLineAndMissingFieldSayFileLine) {
  test::TempDir dir;
  std::string path = dir.write("d.jsonl", "{\"a\": \"x\"}\n\n{\"a\": 1}\n{not json\n");
  auto bad = strict();
  try {
    read_jsonl(path, bad);
    FAIL() << "no error";
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find(path + ":4: not valid JSON"), std::string::npos) << e.what();
  }
  BadRecords skipping(true, nullptr);
  auto records = read_jsonl(path, skipping);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[1].where, path + ":3");  // blank lines count
  EXPECT_EQ(string_field(records[0], "a"), "x");
  auto message = [&](auto fn) {
    try {
      fn();
    } catch (const DataError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_EQ(message([&] { string_field(records[1], "a"); }), path + ":3: field 'a' is not a string");
  EXPECT_EQ(message([&] { field(records[0], "question"); }), path + ":1: record has no field 'question'");
  EXPECT_EQ(message([&] { read_jsonl(dir.file("absent.jsonl"), bad); }),
            "data file not found: " + dir.file("absent.jsonl"));
}

TEST(Rng, SameSeedAndStreamSameDrawsOtherStreamOthers) {
  Rng a(7, "train"), b(7, "train"), c(7, "eval"), d(8, "train");
  std::vector<std::int64_t> da, db, dc, dd;
  for (int i = 0; i < 100; ++i) {
    da.push_back(a.uniform(0, 1000));
    db.push_back(b.uniform(0, 1000));
    dc.push_back(c.uniform(0, 1000));
    dd.push_back(d.uniform(0, 1000));
  }
  EXPECT_EQ(da, db);
  EXPECT_NE(da, dc);
  EXPECT_NE(da, dd);
  // Every value of a small range comes up, and only those.
  Rng r(1, "range");
  std::set<std::int64_t> seen;
  for (int i = 0; i < 1000; ++i) seen.insert(r.uniform(-2, 2));
  EXPECT_EQ(seen, (std::set<std::int64_t>{-2, -1, 0, 1, 2}));
}

TEST(Text, CutAtStopAndTemplates) {
  EXPECT_EQ(cut_at_stop("12 #### 3\nQ: next", {"\nQ:", "\n\n"}), "12 #### 3");
  EXPECT_EQ(cut_at_stop("no stop", {"\n"}), "no stop");
  EXPECT_EQ(fill_template("{name} lives in {value}.", {{"name", "Ab"}, {"value", "Cd"}}), "Ab lives in Cd.");
  EXPECT_THROW(fill_template("{nope}", {}), std::invalid_argument);
}

}  // namespace
}  // namespace remix::tasks
