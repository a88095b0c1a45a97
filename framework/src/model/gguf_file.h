// llama.cpp's GGUF container (versions 2 and 3), read here and nowhere else: the header, the typed metadata
// (key/value pairs, arrays included), the tensor infos and the aligned data section, over a read-only mapping.
//
// Nothing in the file is trusted: every count, string length and array length is checked against the bytes that
// are left before anything is allocated, tensor shapes against overflow, tensor types against ggml's table, and
// every tensor's span against the data section and the other tensors. Violations are DataErrors naming the file,
// the offset and the key or tensor. Tensors come out dequantized to float32 (ggml_quants.h), in torch's
// dimension order (GGUF lists the fastest-varying dimension first).
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "model/ggml_quants.h"
#include "model/mapped_file.h"

namespace remix::model {

// One metadata value. Integers keep their sign in `i` or `u` (both set when representable), floats in `f`.
struct GgufValue {
  enum Type : std::uint32_t {
    U8 = 0, I8, U16, I16, U32, I32, F32, Bool, String, Array, U64, I64, F64
  };
  Type type = U8;
  std::int64_t i = 0;
  std::uint64_t u = 0;
  double f = 0;
  bool b = false;
  std::string s;
  Type item_type = U8;             // arrays
  std::vector<GgufValue> items;    // arrays
  bool is_integer() const { return type <= I32 || type == U64 || type == I64; }
};

struct GgufTensorInfo {
  std::string name;
  std::vector<std::int64_t> shape;  // torch order (GGUF's ne reversed)
  const GgmlType* type = nullptr;
  std::uint64_t offset = 0;  // relative to the data section
  std::uint64_t bytes = 0;
  std::int64_t numel() const;
};

class GgufFile {
 public:
  explicit GgufFile(const std::string& path);  // DataError naming the file and what is wrong

  const std::string& path() const { return file_->path(); }
  std::uint32_t version() const { return version_; }
  std::uint64_t alignment() const { return alignment_; }
  const std::map<std::string, GgufValue>& metadata() const { return metadata_; }
  const std::vector<GgufTensorInfo>& tensors() const { return tensors_; }

  const GgufValue* find(const std::string& key) const;
  // Typed access; DataError naming the file and key when the key is missing or of another type.
  std::string get_string(const std::string& key) const;
  std::uint64_t get_uint(const std::string& key) const;
  double get_float(const std::string& key) const;  // any numeric type
  std::vector<std::string> get_strings(const std::string& key) const;
  std::vector<double> get_floats(const std::string& key) const;  // an array of any numeric type
  std::optional<std::uint64_t> find_uint(const std::string& key) const;
  std::optional<double> find_float(const std::string& key) const;

  const GgufTensorInfo* find_tensor(const std::string& name) const;
  // The tensor dequantized to float32 (DataError naming the type when remix cannot dequantize it).
  torch::Tensor tensor(const std::string& name) const;
  // Dequantizes straight into `target` (float32, contiguous, same number of elements) when it can, so no second
  // copy of a large tensor exists.
  void read_into(const std::string& name, torch::Tensor& target) const;

 private:
  std::shared_ptr<MappedFile> file_;
  std::uint32_t version_ = 0;
  std::uint64_t alignment_ = 32;
  std::uint64_t data_start_ = 0;
  std::map<std::string, GgufValue> metadata_;
  std::vector<GgufTensorInfo> tensors_;
  std::map<std::string, std::size_t> tensor_index_;
};

}  // namespace remix::model
