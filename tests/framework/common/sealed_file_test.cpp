// Sealed files: written with their sha256 beside them in sha256sum's format (so `sha256sum -c` agrees); a
// file is intact only when the digest matches; flipped bytes make it corrupt and a missing digest (a write cut
// off before it, or an older remix) unsealed, each named with what is wrong.
#include <gtest/gtest.h>

#include <filesystem>

#include "common/sealed_file.h"
#include "common/sha256.h"
#include "remix/errors.h"
#include "support/test_env.h"

namespace remix {
namespace {

TEST(SealedFile, AnIntactFileMatchesTheDigestSha256sumChecks) {
  test::TempDir dir;
  std::string path = dir.file("state.bin"), bytes(100000, 'z');
  auto digest = write_sealed_file(path, bytes);
  EXPECT_EQ(digest, sha256_hex(bytes));
  EXPECT_EQ(test::read_file(seal_path(path)), digest + "  state.bin\n");
  auto check = check_sealed_file(path);
  EXPECT_TRUE(check.intact) << check.problem;
  EXPECT_EQ(check.digest, digest);
  auto r = test::run_command({"/usr/bin/sha256sum", "-c", "state.bin.sha256"}, {}, dir.path().string());
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
}

TEST(SealedFile, FlippedBytesAndAMissingDigestAreRefusedSayingWhich) {
  test::TempDir dir;
  std::string path = dir.file("ckpt.pt");
  write_sealed_file(path, std::string(4096, 'a'));
  test::flip_bytes(path, 4);
  auto check = check_sealed_file(path);
  EXPECT_FALSE(check.intact);
  EXPECT_NE(check.problem.find("does not match"), std::string::npos) << check.problem;
  EXPECT_NE(check.problem.find("the file is corrupt"), std::string::npos) << check.problem;
  auto msg = test::error_message<DataError>([&] { require_sealed_file(path); });
  EXPECT_EQ(msg.rfind(path + ": its sha256 ", 0), 0u) << msg;

  write_sealed_file(path, "whole");
  std::filesystem::remove(seal_path(path));  // as a crash between the file and its digest leaves it
  check = check_sealed_file(path);
  EXPECT_FALSE(check.intact);
  EXPECT_NE(check.problem.find("has no digest beside it"), std::string::npos) << check.problem;
  EXPECT_EQ(check_sealed_file(dir.file("none")).problem, "missing");
  remove_sealed_file(path);
  EXPECT_FALSE(std::filesystem::exists(path));
}

}  // namespace
}  // namespace remix
