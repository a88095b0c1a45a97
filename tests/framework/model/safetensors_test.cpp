// The safetensors reader and writer: every dtype and odd shapes survive a round trip; hostile headers (longer than
// the file or than 100 MB, not JSON, spans outside the data, overlapping, not matching shape × dtype, unknown
// dtypes, negative dimensions) and truncated files are refused with a DataError naming the file.
#include <gtest/gtest.h>

#include <fstream>

#include "model/safetensors.h"
#include "remix/errors.h"
#include "support/test_env.h"

namespace remix::model {
namespace {

// A file of the given JSON header and `data_bytes` zero bytes of data.
std::string raw_file(const test::TempDir& dir, const std::string& header, std::size_t data_bytes,
                     std::uint64_t claimed_len = 0) {
  std::string bytes(8, '\0');
  const std::uint64_t len = claimed_len ? claimed_len : header.size();
  for (int i = 0; i < 8; ++i) bytes[i] = static_cast<char>((len >> (8 * i)) & 0xff);
  bytes += header + std::string(data_bytes, '\0');
  return dir.write("t.safetensors", bytes);
}

std::string refusal(const std::string& path) {
  return test::error_message<DataError>([&] { SafetensorsFile f(path); });
}

TEST(Safetensors, RoundTripsEveryDtypeAndOddShapes) {
  test::TempDir dir;
  std::vector<std::pair<std::string, torch::Tensor>> tensors = {
      {"f32", torch::randn({3, 5})},
      {"f16", torch::randn({7}).to(torch::kHalf)},
      {"bf16", torch::randn({2, 3, 4}).to(torch::kBFloat16)},
      {"i64", torch::arange(11)},
      {"i8", torch::arange(-5, 5).to(torch::kChar)},
      {"scalar", torch::tensor(3.5)},
      {"empty", torch::zeros({0, 4})},
      {"odd", torch::randn({1, 13, 1, 3})},
  };
  auto path = dir.file("x.safetensors");
  SafetensorsFile::write(path, tensors, {{"format", "pt"}});
  SafetensorsFile f(path);
  EXPECT_EQ(f.metadata().at("format"), "pt");
  EXPECT_EQ(f.entry("bf16").dtype, "BF16");
  for (const auto& [name, t] : tensors) {
    auto back = f.tensor(name);
    EXPECT_EQ(back.scalar_type(), t.scalar_type()) << name;
    EXPECT_TRUE(back.equal(t)) << name;
  }
  EXPECT_NE(test::error_message<DataError>([&] { f.tensor("nope"); }).find("no tensor 'nope'"), std::string::npos);
}

TEST(Safetensors, RefusesHostileHeaders) {
  test::TempDir dir;
  struct Case {
    std::string header;
    std::size_t data;
    std::string expect;
  };
  const Case cases[] = {
      {"not json", 0, "not JSON"},
      {"[1,2]", 0, "not a JSON object"},
      {R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", 4, "outside the 4 data bytes"},
      {R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", 8, "needs 12 bytes"},
      {R"({"a":{"dtype":"F33","shape":[2],"data_offsets":[0,8]}})", 8, "unknown dtype 'F33'"},
      {R"({"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", 8, "not a non-negative integer"},
      {R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}})", 8, "outside"},
      {R"({"a":{"dtype":"F32","shape":[2]}})", 8, "needs dtype, shape and data_offsets"},
      {R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
       12, "overlap"},
      {R"({"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]}})", 8, "impossibly large"},
  };
  for (const auto& c : cases) {
    auto path = raw_file(dir, c.header, c.data);
    auto msg = refusal(path);
    EXPECT_NE(msg.find(c.expect), std::string::npos) << c.header << " -> " << msg;
    EXPECT_NE(msg.find(path), std::string::npos) << msg;
  }
}

TEST(Safetensors, RefusesHeaderLengthsThatLie) {
  test::TempDir dir;
  EXPECT_NE(refusal(raw_file(dir, "{}", 0, 1000)).find("the header claims 1000 bytes"), std::string::npos);
  EXPECT_NE(refusal(raw_file(dir, "{}", 0, 200ull << 20)).find("more than the 100 MB limit"), std::string::npos);
  auto tiny = dir.write("tiny.safetensors", "abc");
  EXPECT_NE(refusal(tiny).find("truncated"), std::string::npos);
  EXPECT_NE(refusal(dir.file("missing.safetensors")).find("cannot open"), std::string::npos);
}

TEST(Safetensors, TruncatedDataIsNamed) {
  test::TempDir dir;
  auto path = dir.file("x.safetensors");
  SafetensorsFile::write(path, {{"w", torch::randn({64})}});
  std::filesystem::resize_file(path, std::filesystem::file_size(path) - 10);
  auto msg = refusal(path);
  EXPECT_NE(msg.find("tensor 'w'"), std::string::npos) << msg;
}

}  // namespace
}  // namespace remix::model
