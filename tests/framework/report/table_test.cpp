// Table rendering: aligned text with numbers right-aligned, Markdown, CSV quoting, JSON keeping column order.
#include <gtest/gtest.h>

#include "remix/errors.h"
#include "report/table.h"

namespace remix::report {
namespace {

Table sample() {
  Table t;
  t.columns = {"router", "acc", "note"};
  t.rows = {{"remix", 0.25, "a, \"quoted\""}, {"softmax", 0.125, nullptr}};
  return t;
}

TEST(Table, TextAlignsAndRightAlignsNumbers) {
  std::string s = render(sample(), TableFormat::Text);
  EXPECT_EQ(s,
            "router   acc    note\n"
            "-------  -----  -----------\n"
            "remix     0.25  a, \"quoted\"\n"
            "softmax  0.125\n");
}

TEST(Table, Markdown) {
  std::string s = render(sample(), TableFormat::Markdown);
  EXPECT_NE(s.find("| router  | acc   | note        |"), std::string::npos) << s;
  EXPECT_NE(s.find("| ------- | ----: | ----------- |"), std::string::npos) << s;
  EXPECT_NE(s.find("| softmax | 0.125 |             |"), std::string::npos) << s;
}

TEST(Table, CsvQuotesAndKeepsFullPrecision) {
  Table t = sample();
  t.rows[0][1] = 0.1234567891;
  EXPECT_EQ(render(t, TableFormat::Csv), "router,acc,note\nremix,0.1234567891,\"a, \"\"quoted\"\"\"\nsoftmax,0.125,\n");
}

TEST(Table, JsonKeepsColumnOrderAndTypes) {
  std::string s = render(sample(), TableFormat::Json);
  EXPECT_LT(s.find("\"router\""), s.find("\"acc\""));
  auto j = nlohmann::json::parse(s);
  EXPECT_EQ(j[1]["acc"], 0.125);
  EXPECT_TRUE(j[1]["note"].is_null());
}

TEST(Table, UnknownFormatIsAUserError) { EXPECT_THROW(parse_table_format("xml"), UserError); }

}  // namespace
}  // namespace remix::report
