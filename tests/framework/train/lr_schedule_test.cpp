// Warmup and decay shapes of the learning-rate schedule.
#include <gtest/gtest.h>

#include "remix/errors.h"
#include "train/lr_schedule.h"

namespace remix::train {
namespace {

TEST(LrSchedule, WarmupRisesLinearlyToPeak) {
  EXPECT_DOUBLE_EQ(lr_multiplier(0, 100, 10, Decay::Cosine), 0.1);
  EXPECT_DOUBLE_EQ(lr_multiplier(9, 100, 10, Decay::Cosine), 1.0);
}

TEST(LrSchedule, CosineAndLinearDecayToZeroAtTheEnd) {
  EXPECT_DOUBLE_EQ(lr_multiplier(10, 110, 10, Decay::Cosine), 1.0);
  EXPECT_NEAR(lr_multiplier(60, 110, 10, Decay::Cosine), 0.5, 1e-12);
  EXPECT_NEAR(lr_multiplier(110, 110, 10, Decay::Cosine), 0.0, 1e-12);
  EXPECT_NEAR(lr_multiplier(60, 110, 10, Decay::Linear), 0.5, 1e-12);
  EXPECT_DOUBLE_EQ(lr_multiplier(100, 110, 10, Decay::Constant), 1.0);
  EXPECT_DOUBLE_EQ(lr_multiplier(0, 5, 0, Decay::Linear), 1.0);
}

TEST(LrSchedule, ParsesNames) {
  EXPECT_EQ(parse_decay("linear"), Decay::Linear);
  EXPECT_THROW(parse_decay("step"), ConfigError);
}

}  // namespace
}  // namespace remix::train
