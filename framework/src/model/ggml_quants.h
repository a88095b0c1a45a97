// ggml's tensor storage types (llama.cpp's GGUF files): their ids, block sizes, and dequantization to float32 of
// the types remix loads: F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K, Q6_K. Written from the block
// layouts ggml documents (ggml-common.h): a scale (and minimum) in fp16 per block of 32 values for the legacy
// types, a 256-value super-block with 6- or 8-bit sub-block scales for the k-quants. Checked in tests against the
// gguf Python package's dequantization on the same bytes.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <string>

namespace remix::model {

struct GgmlType {
  std::uint32_t id;
  const char* name;
  std::int64_t block_values;  // values per block (1 for the float types)
  std::int64_t block_bytes;   // bytes per block
  bool loadable;              // remix dequantizes it
};

// The type with ggml id `id`, or nullptr when ggml has no such type.
const GgmlType* ggml_type(std::uint32_t id);

// `numel` values (a multiple of the type's block size) stored at `data` as type `t`, as a float32 CPU tensor of
// `shape`. The caller has checked the span holds numel / block_values * block_bytes bytes.
torch::Tensor dequantize(const GgmlType& t, const std::uint8_t* data, std::int64_t numel,
                         const std::vector<std::int64_t>& shape);

// The same for a block type, written to `out` (numel floats).
void dequantize_into(const GgmlType& t, const std::uint8_t* data, std::int64_t numel, float* out);

}  // namespace remix::model
