// The GGUF reader on hand-made files: typed metadata and arrays, alignment, F32/F16/Q8_0/Q4_0 tensors in torch's
// dimension order with values worked out by hand; and hostile files (wrong magic or version, string and array
// lengths that lie, tensors past the end, unknown or unloadable types, overlapping or misaligned tensors, too
// many dimensions) refused with a DataError naming the file. Dequantization of every type against the gguf
// Python package is in tests/reference.
#include <gtest/gtest.h>

#include <c10/util/Half.h>

#include <cstring>

#include "model/gguf_file.h"
#include "remix/errors.h"
#include "support/test_env.h"

namespace remix::model {
namespace {

// Builds GGUF bytes: header, metadata, tensor infos, aligned data.
class GgufBytes {
 public:
  template <class T>
  void put(T v) {
    head_.append(reinterpret_cast<const char*>(&v), sizeof(T));
  }
  void str(const std::string& s) {
    put<std::uint64_t>(s.size());
    head_ += s;
  }
  void kv_u32(const std::string& k, std::uint32_t v) { key(k, 4), put(v); }
  void kv_f32(const std::string& k, float v) { key(k, 6), put(v); }
  void kv_str(const std::string& k, const std::string& v) { key(k, 8), str(v); }
  void kv_strs(const std::string& k, const std::vector<std::string>& v) {
    key(k, 9), put<std::uint32_t>(8), put<std::uint64_t>(v.size());
    for (const auto& s : v) str(s);
  }
  void tensor(const std::string& name, std::vector<std::uint64_t> ne, std::uint32_t type, const std::string& data) {
    tensors_.push_back({name, std::move(ne), type, data});
  }
  std::string bytes(std::uint32_t version = 3, std::uint32_t magic = 0x46554747, std::size_t alignment = 32) {
    std::string out;
    auto raw = [&](auto v) { out.append(reinterpret_cast<const char*>(&v), sizeof(v)); };
    raw(magic), raw(version), raw(static_cast<std::uint64_t>(tensors_.size())), raw(static_cast<std::uint64_t>(n_kv_));
    out += head_;
    std::string data;
    for (const auto& t : tensors_) {
      raw(static_cast<std::uint64_t>(t.name.size()));
      out += t.name;
      raw(static_cast<std::uint32_t>(t.ne.size()));
      for (auto n : t.ne) raw(n);
      raw(t.type);
      raw(static_cast<std::uint64_t>(data.size()));
      data += t.data;
      data.append((alignment - data.size() % alignment) % alignment, '\0');
    }
    out.append((alignment - out.size() % alignment) % alignment, '\0');
    return out + data;
  }

 private:
  void key(const std::string& k, std::uint32_t type) {
    ++n_kv_;
    str(k);
    put(type);
  }
  struct T {
    std::string name;
    std::vector<std::uint64_t> ne;
    std::uint32_t type;
    std::string data;
  };
  std::string head_;
  std::size_t n_kv_ = 0;
  std::vector<T> tensors_;
};

std::string floats(const std::vector<float>& v) { return std::string(reinterpret_cast<const char*>(v.data()), v.size() * 4); }
std::string half_bits(float x) {
  c10::Half h(x);
  return std::string(reinterpret_cast<const char*>(&h.x), 2);
}

std::string refusal(const test::TempDir& dir, const std::string& bytes) {
  auto path = dir.write("bad.gguf", bytes);
  return test::error_message<DataError>([&] { GgufFile f(path); });
}

TEST(GgufFile, ReadsMetadataAndTensorsInTorchOrder) {
  test::TempDir dir;
  GgufBytes g;
  g.kv_str("general.architecture", "llama");
  g.kv_u32("llama.block_count", 2);
  g.kv_f32("llama.rope.freq_base", 10000.0f);
  g.kv_strs("tokenizer.ggml.tokens", {"a", "bb", ""});
  g.tensor("f32", {3, 2}, 0, floats({1, 2, 3, 4, 5, 6}));  // ne = [3, 2]: two rows of three
  std::string f16;
  for (float x : {0.5f, -1.0f}) f16 += half_bits(x);
  g.tensor("f16", {2}, 1, f16);
  // Q8_0: d = 0.5, q = 0..31 -> 0, 0.5, ..., 15.5
  std::string q8 = half_bits(0.5f);
  for (int j = 0; j < 32; ++j) q8 += static_cast<char>(j);
  g.tensor("q8", {32}, 8, q8);
  // Q4_0: d = 2, low nibble j -> value j, high nibble 15 - j -> value 16 + j; x = d (q - 8)
  std::string q4 = half_bits(2.0f);
  for (int j = 0; j < 16; ++j) q4 += static_cast<char>(j | ((15 - j) << 4));
  g.tensor("q4", {32}, 2, q4);
  GgufFile f(dir.write("m.gguf", g.bytes()));
  EXPECT_EQ(f.version(), 3u);
  EXPECT_EQ(f.get_string("general.architecture"), "llama");
  EXPECT_EQ(f.get_uint("llama.block_count"), 2u);
  EXPECT_DOUBLE_EQ(f.get_float("llama.rope.freq_base"), 10000.0);
  EXPECT_EQ(f.get_strings("tokenizer.ggml.tokens"), (std::vector<std::string>{"a", "bb", ""}));
  EXPECT_NE(test::error_message<DataError>([&] { f.get_string("llama.block_count"); }).find("is not a string"),
            std::string::npos);
  EXPECT_NE(test::error_message<DataError>([&] { f.get_uint("nope"); }).find("lacks 'nope'"), std::string::npos);
  EXPECT_TRUE(f.tensor("f32").equal(torch::tensor({1.f, 2.f, 3.f, 4.f, 5.f, 6.f}).view({2, 3})));
  EXPECT_TRUE(f.tensor("f16").equal(torch::tensor({0.5f, -1.0f})));
  EXPECT_TRUE(f.tensor("q8").equal(torch::arange(32, torch::kFloat) * 0.5));
  auto q4_expected = torch::empty({32});
  for (int j = 0; j < 16; ++j) {
    q4_expected[j] = 2.0f * static_cast<float>(j - 8);
    q4_expected[j + 16] = 2.0f * static_cast<float>(15 - j - 8);
  }
  EXPECT_TRUE(f.tensor("q4").equal(q4_expected));
}

TEST(GgufFile, RefusesHostileFiles) {
  test::TempDir dir;
  auto base = [] {
    GgufBytes g;
    g.kv_str("general.architecture", "llama");
    return g;
  };
  EXPECT_NE(refusal(dir, base().bytes(3, 0x12345678)).find("magic"), std::string::npos);
  EXPECT_NE(refusal(dir, base().bytes(1)).find("version 1"), std::string::npos);
  EXPECT_NE(refusal(dir, base().bytes(4)).find("version 4"), std::string::npos);
  EXPECT_NE(refusal(dir, "GG").find("magic"), std::string::npos);
  {  // a string length that lies
    GgufBytes g;
    g.kv_str("k", "value");
    auto b = g.bytes();
    std::uint64_t huge = 1ull << 40;
    std::memcpy(&b[24 + 8 + 1 + 4], &huge, 8);  // the value's length, after key length, key "k", type
    EXPECT_NE(refusal(dir, b).find("claims a string of"), std::string::npos);
  }
  {  // an array count that lies
    GgufBytes g;
    g.kv_strs("k", {"a"});
    auto b = g.bytes();
    std::uint64_t huge = 1ull << 50;
    std::memcpy(&b[24 + 8 + 1 + 4 + 4], &huge, 8);
    EXPECT_NE(refusal(dir, b).find("array items"), std::string::npos);
  }
  {  // tensor data past the end
    GgufBytes g;
    g.tensor("w", {64}, 0, floats(std::vector<float>(64, 1.f)));
    auto b = g.bytes();
    b.resize(b.size() - 100);
    EXPECT_NE(refusal(dir, b).find("past the end"), std::string::npos);
  }
  {
    GgufBytes g;
    g.tensor("w", {32}, 99, std::string(64, '\0'));
    EXPECT_NE(refusal(dir, g.bytes()).find("unknown ggml type 99"), std::string::npos);
  }
  {
    GgufBytes g;
    g.tensor("w", {2, 2, 2, 2, 2}, 0, std::string(128, '\0'));
    EXPECT_NE(refusal(dir, g.bytes()).find("5 dimensions"), std::string::npos);
  }
  {
    GgufBytes g;
    g.tensor("w", {33}, 8, std::string(68, '\0'));  // 33 values are not whole Q8_0 blocks
    EXPECT_NE(refusal(dir, g.bytes()).find("not whole Q8_0 blocks"), std::string::npos);
  }
  {  // an unloadable type is read but refused on load, naming it
    GgufBytes g;
    g.tensor("w", {256}, 10, std::string(84, '\0'));  // Q2_K
    auto path = dir.write("q2k.gguf", g.bytes());
    GgufFile f(path);
    EXPECT_NE(test::error_message<DataError>([&] { f.tensor("w"); }).find("stored as Q2_K"), std::string::npos);
  }
}

TEST(GgufFile, RefusesOverlappingAndMisalignedTensors) {
  test::TempDir dir;
  GgufBytes g;
  g.tensor("a", {16}, 0, floats(std::vector<float>(16, 1.f)));
  g.tensor("b", {16}, 0, floats(std::vector<float>(16, 2.f)));
  auto b = g.bytes();
  // Second tensor's offset (the last 8 bytes of its info) set to 32: inside the first.
  const auto info_end = b.find(std::string("b")) + 1 + 4 + 8 + 4;
  std::uint64_t off = 32;
  std::memcpy(&b[info_end], &off, 8);
  EXPECT_NE(refusal(dir, b).find("overlap"), std::string::npos);
  off = 36;
  std::memcpy(&b[info_end], &off, 8);
  EXPECT_NE(refusal(dir, b).find("not aligned"), std::string::npos);
}

}  // namespace
}  // namespace remix::model
