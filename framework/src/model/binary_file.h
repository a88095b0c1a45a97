// Reading the little-endian binary files of llama2.c (checkpoints, tokenizer.bin): the whole file in memory
// and a cursor whose reads fail with a DataError naming the file, the offset and what was being read, so a
// truncated file is reported as such instead of yielding garbage.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace remix::model {

class BinaryFile {
 public:
  // Throws DataError naming `path` (and `what`, e.g. "llama2.c checkpoint (base.path)") when it cannot be read.
  BinaryFile(std::string path, const std::string& what);

  const std::string& path() const { return path_; }
  std::size_t size() const { return bytes_.size(); }
  std::size_t offset() const { return offset_; }
  bool at_end() const { return offset_ == bytes_.size(); }

  std::int32_t read_i32(const std::string& what);
  float read_f32(const std::string& what);
  std::string read_bytes(std::size_t n, const std::string& what);
  // n float32 values, copied out of the file.
  std::vector<float> read_f32s(std::size_t n, const std::string& what);
  void skip(std::size_t n, const std::string& what);

 private:
  void need(std::size_t n, const std::string& what) const;
  std::string path_;
  std::vector<char> bytes_;
  std::size_t offset_ = 0;
};

}  // namespace remix::model
