// `remix report` on a real sweep (tiny trials through the fixture plugins): one self-contained HTML file (no
// scripts, stylesheets or images fetched from anywhere) whose charts are SVG; rendered in headless Chromium
// (Debian's `chromium`, installed by setup.sh), the parsed page holds every chart with drawn marks, and the
// screenshot is not blank. A report for a sweep that does not exist exits 2 and writes nothing. --against and
// --replicate add the paired differences.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <regex>

#include "support/test_env.h"

namespace remix {
namespace {

namespace fs = std::filesystem;

std::string chromium() {
  for (const char* p : {"/usr/bin/chromium", "/usr/bin/chromium-browser"})
    if (fs::exists(p)) return p;
  return "";
}

// The markup of the element with this id (up to its closing tag).
std::string element(const std::string& html, const std::string& id, const std::string& tag) {
  auto at = html.find("id=\"" + id + "\"");
  if (at == std::string::npos) return "";
  auto start = html.rfind("<" + tag, at);
  auto end = html.find("</" + tag + ">", at);
  return end == std::string::npos ? "" : html.substr(start, end - start);
}

std::string experiment(const test::TempDir& dir, const std::string& db) {
  return dir.write("exp.yaml", "experiment: {name: rep, db: " + db +
                                   "}\nrouter: {plugin: test_router}\ntasks: {add: {plugin: test_task}}\n" +
                                   test::tiny_trial_yaml(dir));
}

int occurrences(const std::string& s, const std::string& what) {
  int n = 0;
  for (auto p = s.find(what); p != std::string::npos; p = s.find(what, p + 1)) ++n;
  return n;
}

TEST(HtmlReport, SelfContainedSvgChartsRenderInChromium) {
  test::TempDir dir;
  std::string db = dir.file("r.db");
  std::string cfg = experiment(dir, db);
  auto run = test::run_command({test::remix_bin(), "--plugin-path", test::test_plugin_dir(), "run", cfg,
                                "router.offset=0,1", "seed=0,1", "train.steps=6"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  std::string out = dir.file("report.html");
  auto r = test::run_command({test::remix_bin(), "report", db, "-o", out});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string html = test::read_file(out);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("<link"), std::string::npos);
  EXPECT_FALSE(std::regex_search(html, std::regex(R"(src\s*=|url\()")));
  // The results table scrolls inside the page instead of widening it (a wide sweep overflowed 1100 pixels).
  EXPECT_NE(html.find("<h2>Results</h2>\n<div class=\"scroll\"><table>"), std::string::npos);
  EXPECT_NE(html.find(".scroll { max-width: 100%; overflow-x: auto; }"), std::string::npos);
  for (const char* id : {"eval", "train-loss", "routing-ess", "load-0", "load-1"})
    EXPECT_FALSE(element(html, id, "svg").empty()) << id;

  // --where keeps one group (router.offset 1, both seeds): one loss line; a filter without '=' exits 2.
  std::string filtered = dir.file("filtered.html");
  auto one = test::run_command({test::remix_bin(), "report", db, "--where", "router.offset=1", "-o", filtered});
  ASSERT_EQ(one.exit_code, 0) << one.err;
  std::string filtered_html = test::read_file(filtered);
  EXPECT_EQ(occurrences(element(filtered_html, "train-loss", "svg"), "class=\"series\""), 1);
  EXPECT_NE(filtered_html.find("<h1>remix report: all trials where router.offset=1</h1>"), std::string::npos);
  auto bad = test::run_command({test::remix_bin(), "report", db, "--where", "router.offset", "-o", filtered + "2"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("expected KEY=VALUE"), std::string::npos) << bad.err;

  // --against adds the paired differences: the table and one interval chart per metric, a point per group.
  std::string paired = dir.file("paired.html");
  auto p = test::run_command({test::remix_bin(), "report", db, "--against", "router.offset=0", "-o", paired});
  ASSERT_EQ(p.exit_code, 0) << p.err;
  std::string paired_html = test::read_file(paired);
  auto section = paired_html.find("<h2>Paired differences against router.offset=0</h2>");
  ASSERT_NE(section, std::string::npos);
  auto chart = paired_html.find("id=\"paired-final/", section);
  ASSERT_NE(chart, std::string::npos);
  EXPECT_EQ(occurrences(paired_html.substr(chart, paired_html.find("</svg>", chart) - chart), "<circle"), 1);
  // --replicate reaches the report: pairs by that key and the seed (one value here: one cluster, no t-interval).
  auto rep = test::run_command({test::remix_bin(), "report", db, "--against", "router.offset=0", "--replicate",
                                "train.steps", "-o", paired + "r"});
  ASSERT_EQ(rep.exit_code, 0) << rep.err;
  std::string rep_html = test::read_file(paired + "r");
  EXPECT_NE(rep_html.find("paired by train.steps and seed and eval example"), std::string::npos);
  EXPECT_NE(rep_html.find("(one train.steps)"), std::string::npos);
  auto alone = test::run_command({test::remix_bin(), "report", db, "--replicate", "train.steps", "-o", paired + "a"});
  EXPECT_EQ(alone.exit_code, 2);
  EXPECT_NE(alone.err.find("--replicate requires --against"), std::string::npos) << alone.err;
  auto none = test::run_command({test::remix_bin(), "report", db, "--against", "router.offset=7", "-o", paired + "2"});
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_NE(none.err.find("router.offset is one of: 0, 1"), std::string::npos) << none.err;
  EXPECT_FALSE(fs::exists(paired + "2"));

  const std::string browser = chromium();
  if (browser.empty()) GTEST_SKIP() << "chromium is not installed (setup.sh installs it): render check skipped";
  test::TempDir profile;
  std::vector<std::string> base = {browser,          "--headless",         "--no-sandbox",
                                   "--disable-gpu",  "--hide-scrollbars",  "--disable-dev-shm-usage",
                                   "--user-data-dir=" + profile.path().string()};
  auto dom_cmd = base;
  dom_cmd.insert(dom_cmd.end(), {"--dump-dom", "file://" + out});
  auto dom = test::run_command(dom_cmd);
  ASSERT_EQ(dom.exit_code, 0) << dom.err;
  // What the browser parsed: every chart is an SVG element with marks in it.
  std::string loss = element(dom.out, "train-loss", "svg"), ess = element(dom.out, "routing-ess", "svg");
  std::string bars = element(dom.out, "eval", "svg"), load = element(dom.out, "load-0", "svg");
  EXPECT_EQ(occurrences(loss, "class=\"series\""), 2) << loss;  // one line per group (router.offset 0 and 1)
  EXPECT_EQ(occurrences(ess, "class=\"series\""), 4) << ess;    // mean and worst per group
  EXPECT_GE(occurrences(bars, "class=\"bar\""), 2) << bars;     // the metric for each group
  EXPECT_GE(occurrences(load, "class=\"cell\""), 2) << load;    // a cell per site and expert

  std::string png = dir.file("shot.png");
  auto shot_cmd = base;
  shot_cmd.insert(shot_cmd.end(), {"--window-size=900,1800", "--screenshot=" + png, "file://" + out});
  auto shot = test::run_command(shot_cmd);
  ASSERT_EQ(shot.exit_code, 0) << shot.err;
  auto stats = test::run_command({"/usr/bin/python3", test::source_dir() + "/tests/framework/report/png_stats.py", png});
  ASSERT_EQ(stats.exit_code, 0) << stats.err;
  auto j = nlohmann::json::parse(stats.out);
  EXPECT_EQ(j["width"], 900);
  EXPECT_GT(j["nonwhite_fraction"].get<double>(), 0.01) << stats.out;  // text, axes, lines and cells drawn
  EXPECT_GT(j["distinct_colours"].get<int>(), 8) << stats.out;        // more than black on white
}

TEST(HtmlReport, MissingSweepExitsTwoAndWritesNothing) {
  test::TempDir dir;
  std::string db = dir.file("r.db");
  std::string cfg = experiment(dir, db);
  ASSERT_EQ(test::run_command({test::remix_bin(), "--plugin-path", test::test_plugin_dir(), "run", cfg}).exit_code, 0);
  auto r = test::run_command({test::remix_bin(), "report", db, "--sweep", "nope", "-o", dir.file("x.html")});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("nope"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir.file("x.html")));
}

}  // namespace
}  // namespace remix
