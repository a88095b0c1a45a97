// A read-only memory mapping of a whole file, for the checkpoint readers (safetensors, GGUF) that must look at
// hundreds of megabytes without copying them and must never read past the end. Every access goes through
// `bytes(offset, length, what)`, which checks the span against the mapping and throws a DataError naming the file,
// the span and what was being read, so a lying header becomes a message instead of a fault.
#pragma once

#include <cstdint>
#include <string>

namespace remix::model {

class MappedFile {
 public:
  // Throws DataError naming `path` and `what` (e.g. "safetensors file") when it cannot be opened or mapped.
  MappedFile(std::string path, const std::string& what);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const std::string& path() const { return path_; }
  std::uint64_t size() const { return size_; }
  // The `length` bytes at `offset`; DataError when the span is not inside the file.
  const std::uint8_t* bytes(std::uint64_t offset, std::uint64_t length, const std::string& what) const;
  // Tells the kernel the pages of this span are no longer needed (they were copied out), so loading a model does not
  // hold the whole file resident beside the tensors made from it. Reading the span again stays valid.
  void release(std::uint64_t offset, std::uint64_t length) const;

 private:
  std::string path_;
  std::uint64_t size_ = 0;
  void* data_ = nullptr;
};

}  // namespace remix::model
