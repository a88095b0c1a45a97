// The progress line: its ETA comes from the pace since the loop started, also when the first report comes
// only after `every` steps (the bug this guards against timed from the first report and printed "ETA 0s").
#include <gtest/gtest.h>

#include <thread>

#include "train/progress.h"

namespace remix::train {
namespace {

TEST(ProgressLine, EtaCountsTheStepsBeforeTheFirstReport) {
  testing::internal::CaptureStderr();
  {
    ProgressLine progress("pretraining", 1000, 10);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // ten steps of at least 10 ms each
    progress.update(9, 1.5, 100);
  }
  std::string out = testing::internal::GetCapturedStderr();
  EXPECT_NE(out.find("pretraining step 10/1000  loss 1.5000  100 tok/s"), std::string::npos) << out;
  EXPECT_EQ(out.find("ETA 0s"), std::string::npos) << out;  // 990 steps left at >= 10 ms each: >= 9.9 s
}

TEST(ProgressLine, ResumedRunsTimeOnlyTheirOwnSteps) {
  testing::internal::CaptureStderr();
  {
    ProgressLine progress("train", 100, 1, 90);  // resumed at step 90
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    progress.update(90, 1.0, 10);  // one step in >= 100 ms, nine left: >= 0.9 s
  }
  std::string out = testing::internal::GetCapturedStderr();
  EXPECT_NE(out.find("train step 91/100"), std::string::npos) << out;
  EXPECT_EQ(out.find("ETA 0s"), std::string::npos) << out;
}

TEST(FormatDuration, HoursMinutesSeconds) {
  EXPECT_EQ(format_duration(12.4), "12s");
  EXPECT_EQ(format_duration(185), "3m05s");
  EXPECT_EQ(format_duration(3720), "1h02m");
  EXPECT_EQ(format_duration(-1), "?");
}

}  // namespace
}  // namespace remix::train
