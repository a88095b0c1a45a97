// The safetensors format (Hugging Face's checkpoint files), read and written here and nowhere else: an 8-byte
// little-endian header length, a JSON header naming each tensor's dtype, shape and byte span, then the bytes.
//
// Reading maps the file and checks the header before anything is trusted: its length (at most 100 MB and inside
// the file), every entry's dtype, shape and span (inside the data, shape × dtype size equal to the span, no two
// spans overlapping). Any violation is a DataError naming the file and the tensor. Tensors are copied out on
// request, in their stored dtype, so a caller converts only what it keeps. Writing is what PEFT export and the
// tests need: tensors in name order, contiguous, 8-byte aligned data.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "model/mapped_file.h"

namespace remix::model {

struct SafetensorsEntry {
  std::string dtype;                // as in the header: F32, F16, BF16, I64, ...
  std::vector<std::int64_t> shape;  // empty for a scalar
  std::uint64_t begin = 0, end = 0;  // byte span relative to the data section
};

class SafetensorsFile {
 public:
  static constexpr std::uint64_t kMaxHeaderBytes = 100ull << 20;

  // Maps and validates `path`; DataError naming the file and what is wrong.
  explicit SafetensorsFile(const std::string& path);

  const std::string& path() const { return file_->path(); }
  const std::map<std::string, SafetensorsEntry>& tensors() const { return tensors_; }
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  bool contains(const std::string& name) const { return tensors_.count(name) > 0; }
  const SafetensorsEntry& entry(const std::string& name) const;  // DataError when absent
  // A copy of the tensor in its stored dtype (DataError for a dtype torch cannot hold, e.g. F8 or U32).
  torch::Tensor tensor(const std::string& name) const;
  // Copies the tensor into `target` (same number of elements, contiguous), converting its dtype: straight from the
  // mapping when the dtypes agree, so no second copy of a large tensor exists.
  void read_into(const std::string& name, torch::Tensor& target) const;

  // Writes tensors (any device; copied to CPU, made contiguous) and string metadata to `path` atomically.
  static void write(const std::string& path, const std::vector<std::pair<std::string, torch::Tensor>>& tensors,
                    const std::map<std::string, std::string>& metadata = {});

 private:
  std::shared_ptr<MappedFile> file_;
  std::uint64_t data_start_ = 0;
  std::map<std::string, SafetensorsEntry> tensors_;
  std::map<std::string, std::string> metadata_;
};

}  // namespace remix::model
