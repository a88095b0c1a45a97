// The inputs the fuzzers of tests/fuzz kept (tests/fuzz/corpus/{safetensors,gguf}, plus hand-made seeds) replayed
// through the same code as the fuzz targets, in the normal build: each is read or refused with a DataError, and
// neither a crash nor any other exception may come out of a reader. The corpus grows each time tests/fuzz/run.sh
// is run; the seeds (a real safetensors file, a GGUF file with every dequantizable type and a tokenizer) are here.
#include <gtest/gtest.h>

#include <filesystem>

#include "fuzz/read_untrusted.h"
#include "support/test_env.h"

namespace remix::fuzz {
namespace {

void replay(const std::string& folder, Format format) {
  const auto dir = test::source_dir() + "/tests/fuzz/corpus/" + folder;
  ASSERT_TRUE(std::filesystem::is_directory(dir)) << dir;
  int inputs = 0, read = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    const auto bytes = test::read_file(entry.path().string());
    read += read_untrusted(format, reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()) ? 1 : 0;
    ++inputs;
  }
  std::cout << folder << ": " << inputs << " kept inputs, " << read << " read, " << inputs - read << " refused\n";
  EXPECT_GT(inputs, 10);
  EXPECT_GT(read, 0);  // the seeds are valid files
}

TEST(FuzzCorpus, EverySafetensorsInputIsReadOrRefused) { replay("safetensors", Format::Safetensors); }
TEST(FuzzCorpus, EveryGgufInputIsReadOrRefused) { replay("gguf", Format::Gguf); }

}  // namespace
}  // namespace remix::fuzz
