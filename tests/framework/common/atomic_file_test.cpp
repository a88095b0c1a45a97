// Atomic writes replace the file whole, leave no temporary behind, and fail without touching the target.
#include <gtest/gtest.h>

#include <filesystem>

#include "common/atomic_file.h"
#include "remix/errors.h"
#include "support/test_env.h"

namespace remix {
namespace {

TEST(AtomicFile, ReplacesContentAndLeavesNoTemporary) {
  test::TempDir dir;
  std::string path = dir.file("ckpt.bin");
  write_file_atomically(path, "first");
  write_file_atomically(path, std::string(100000, 'x'));
  EXPECT_EQ(test::read_file(path), std::string(100000, 'x'));
  int files = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir.path())) ++files;
  EXPECT_EQ(files, 1);
}

TEST(AtomicFile, FailureNamesThePath) {
  try {
    write_file_atomically("/nonexistent-dir/x.bin", "data");
    FAIL();
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent-dir/x.bin"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace remix
