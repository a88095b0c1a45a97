// Dequantization of ggml's block formats (see ggml_quants.h). Each function turns one block into its values; the
// layouts are ggml's (ggml-common.h), little-endian.
#include "model/ggml_quants.h"

#include <c10/util/BFloat16.h>
#include <c10/util/Half.h>
#include <fmt/format.h>

#include <cstring>

#include "remix/errors.h"

namespace remix::model {

namespace {

float f16(const std::uint8_t* p) {
  std::uint16_t bits;
  std::memcpy(&bits, p, 2);
  return static_cast<float>(c10::Half(bits, c10::Half::from_bits()));
}

// 32 values: fp16 d, 32 int8 q; x = d q.
void block_q8_0(const std::uint8_t* b, float* y) {
  const float d = f16(b);
  for (int j = 0; j < 32; ++j) y[j] = d * static_cast<float>(static_cast<std::int8_t>(b[2 + j]));
}

// 32 values: fp16 d, 16 bytes of nibbles (low nibbles are values 0..15, high nibbles 16..31); x = d (q - 8).
void block_q4_0(const std::uint8_t* b, float* y) {
  const float d = f16(b);
  const auto* qs = b + 2;
  for (int j = 0; j < 16; ++j) {
    y[j] = d * static_cast<float>((qs[j] & 0x0F) - 8);
    y[j + 16] = d * static_cast<float>((qs[j] >> 4) - 8);
  }
}

// As Q4_0 with an fp16 minimum m: x = d q + m.
void block_q4_1(const std::uint8_t* b, float* y) {
  const float d = f16(b), m = f16(b + 2);
  const auto* qs = b + 4;
  for (int j = 0; j < 16; ++j) {
    y[j] = d * static_cast<float>(qs[j] & 0x0F) + m;
    y[j + 16] = d * static_cast<float>(qs[j] >> 4) + m;
  }
}

// The fifth bits of a Q5 block: bit j of qh belongs to value j.
std::uint32_t high_bits(const std::uint8_t* p) {
  std::uint32_t qh;
  std::memcpy(&qh, p, 4);
  return qh;
}

// 32 values: fp16 d, 32 high bits, 16 bytes of low nibbles; x = d (q - 16).
void block_q5_0(const std::uint8_t* b, float* y) {
  const float d = f16(b);
  const std::uint32_t qh = high_bits(b + 2);
  const auto* qs = b + 6;
  for (int j = 0; j < 16; ++j) {
    const int lo = (qs[j] & 0x0F) | (((qh >> j) & 1) << 4);
    const int hi = (qs[j] >> 4) | (((qh >> (j + 16)) & 1) << 4);
    y[j] = d * static_cast<float>(lo - 16);
    y[j + 16] = d * static_cast<float>(hi - 16);
  }
}

// As Q5_0 with an fp16 minimum: x = d q + m.
void block_q5_1(const std::uint8_t* b, float* y) {
  const float d = f16(b), m = f16(b + 2);
  const std::uint32_t qh = high_bits(b + 4);
  const auto* qs = b + 8;
  for (int j = 0; j < 16; ++j) {
    const int lo = (qs[j] & 0x0F) | (((qh >> j) & 1) << 4);
    const int hi = (qs[j] >> 4) | (((qh >> (j + 16)) & 1) << 4);
    y[j] = d * static_cast<float>(lo) + m;
    y[j + 16] = d * static_cast<float>(hi) + m;
  }
}

// The 6-bit scale and minimum of sub-block j of a Q4_K/Q5_K super-block, packed into 12 bytes.
void scale_min_k4(int j, const std::uint8_t* q, std::uint8_t& sc, std::uint8_t& m) {
  if (j < 4) {
    sc = q[j] & 63;
    m = q[j + 4] & 63;
  } else {
    sc = (q[j + 4] & 0x0F) | ((q[j - 4] >> 6) << 4);
    m = (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
  }
}

// 256 values: fp16 d, fp16 dmin, 12 bytes of scales/mins, 128 bytes of nibbles; 8 sub-blocks of 32 values,
// x = d sc q - dmin m.
void block_q4_k(const std::uint8_t* b, float* y) {
  const float d = f16(b), dmin = f16(b + 2);
  const auto* scales = b + 4;
  const auto* q = b + 16;
  for (int j = 0, is = 0; j < 256; j += 64, is += 2, q += 32) {
    std::uint8_t sc, m;
    scale_min_k4(is, scales, sc, m);
    const float d1 = d * sc, m1 = dmin * m;
    scale_min_k4(is + 1, scales, sc, m);
    const float d2 = d * sc, m2 = dmin * m;
    for (int l = 0; l < 32; ++l) *y++ = d1 * static_cast<float>(q[l] & 0x0F) - m1;
    for (int l = 0; l < 32; ++l) *y++ = d2 * static_cast<float>(q[l] >> 4) - m2;
  }
}

// 256 values: as Q4_K plus 32 bytes of fifth bits (bit pair u1/u2 of qh[l] per 64 values).
void block_q5_k(const std::uint8_t* b, float* y) {
  const float d = f16(b), dmin = f16(b + 2);
  const auto* scales = b + 4;
  const auto* qh = b + 16;
  const auto* ql = b + 48;
  std::uint8_t u1 = 1, u2 = 2;
  for (int j = 0, is = 0; j < 256; j += 64, is += 2, ql += 32, u1 <<= 2, u2 <<= 2) {
    std::uint8_t sc, m;
    scale_min_k4(is, scales, sc, m);
    const float d1 = d * sc, m1 = dmin * m;
    scale_min_k4(is + 1, scales, sc, m);
    const float d2 = d * sc, m2 = dmin * m;
    for (int l = 0; l < 32; ++l) *y++ = d1 * static_cast<float>((ql[l] & 0x0F) + (qh[l] & u1 ? 16 : 0)) - m1;
    for (int l = 0; l < 32; ++l) *y++ = d2 * static_cast<float>((ql[l] >> 4) + (qh[l] & u2 ? 16 : 0)) - m2;
  }
}

// 256 values: 128 bytes of low nibbles, 64 bytes of 2-bit highs, 16 int8 scales, fp16 d; x = d sc (q - 32).
void block_q6_k(const std::uint8_t* b, float* y) {
  const auto* ql = b;
  const auto* qh = b + 128;
  const auto* sc = reinterpret_cast<const std::int8_t*>(b + 192);
  const float d = f16(b + 208);
  for (int n = 0; n < 256; n += 128, y += 128, ql += 64, qh += 32, sc += 8) {
    for (int l = 0; l < 32; ++l) {
      const int is = l / 16;
      const int q1 = ((ql[l] & 0x0F) | (((qh[l] >> 0) & 3) << 4)) - 32;
      const int q2 = ((ql[l + 32] & 0x0F) | (((qh[l] >> 2) & 3) << 4)) - 32;
      const int q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
      const int q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
      y[l] = d * sc[is + 0] * static_cast<float>(q1);
      y[l + 32] = d * sc[is + 2] * static_cast<float>(q2);
      y[l + 64] = d * sc[is + 4] * static_cast<float>(q3);
      y[l + 96] = d * sc[is + 6] * static_cast<float>(q4);
    }
  }
}

using BlockFn = void (*)(const std::uint8_t*, float*);

struct TypeRow {
  GgmlType type;
  BlockFn block;
};

// ggml's type ids (ggml.h enum ggml_type); the ones remix cannot load keep their sizes so spans still check.
const TypeRow kTypes[] = {
    {{0, "F32", 1, 4, true}, nullptr},      {{1, "F16", 1, 2, true}, nullptr},
    {{2, "Q4_0", 32, 18, true}, block_q4_0}, {{3, "Q4_1", 32, 20, true}, block_q4_1},
    {{6, "Q5_0", 32, 22, true}, block_q5_0}, {{7, "Q5_1", 32, 24, true}, block_q5_1},
    {{8, "Q8_0", 32, 34, true}, block_q8_0}, {{9, "Q8_1", 32, 36, false}, nullptr},
    {{10, "Q2_K", 256, 84, false}, nullptr}, {{11, "Q3_K", 256, 110, false}, nullptr},
    {{12, "Q4_K", 256, 144, true}, block_q4_k}, {{13, "Q5_K", 256, 176, true}, block_q5_k},
    {{14, "Q6_K", 256, 210, true}, block_q6_k}, {{15, "Q8_K", 256, 292, false}, nullptr},
    {{16, "IQ2_XXS", 256, 66, false}, nullptr}, {{17, "IQ2_XS", 256, 74, false}, nullptr},
    {{18, "IQ3_XXS", 256, 98, false}, nullptr}, {{19, "IQ1_S", 256, 50, false}, nullptr},
    {{20, "IQ4_NL", 32, 18, false}, nullptr}, {{21, "IQ3_S", 256, 110, false}, nullptr},
    {{22, "IQ2_S", 256, 82, false}, nullptr}, {{23, "IQ4_XS", 256, 136, false}, nullptr},
    {{24, "I8", 1, 1, false}, nullptr},     {{25, "I16", 1, 2, false}, nullptr},
    {{26, "I32", 1, 4, false}, nullptr},    {{27, "I64", 1, 8, false}, nullptr},
    {{28, "F64", 1, 8, false}, nullptr},    {{29, "IQ1_M", 256, 56, false}, nullptr},
    {{30, "BF16", 1, 2, true}, nullptr},    {{34, "TQ1_0", 256, 54, false}, nullptr},
    {{35, "TQ2_0", 256, 66, false}, nullptr},
};

const TypeRow* row(std::uint32_t id) {
  for (const auto& r : kTypes)
    if (r.type.id == id) return &r;
  return nullptr;
}

}  // namespace

const GgmlType* ggml_type(std::uint32_t id) {
  const auto* r = row(id);
  return r ? &r->type : nullptr;
}

torch::Tensor dequantize(const GgmlType& t, const std::uint8_t* data, std::int64_t numel,
                         const std::vector<std::int64_t>& shape) {
  auto copy_as = [&](torch::ScalarType stored) {
    auto raw = torch::empty({numel}, torch::dtype(stored));
    std::memcpy(raw.data_ptr(), data, static_cast<std::size_t>(numel * t.block_bytes));
    return raw.to(torch::kFloat).view(shape);
  };
  if (t.id == 0) return copy_as(torch::kFloat);
  if (t.id == 1) return copy_as(torch::kHalf);
  if (t.id == 30) return copy_as(torch::kBFloat16);
  auto out = torch::empty({numel}, torch::kFloat);
  dequantize_into(t, data, numel, out.data_ptr<float>());
  return out.view(shape);
}

void dequantize_into(const GgmlType& t, const std::uint8_t* data, std::int64_t numel, float* y) {
  const auto* r = row(t.id);
  if (!r || !r->block) throw DataError(fmt::format("ggml type {} cannot be dequantized block by block", t.name));
  const std::int64_t blocks = numel / t.block_values;
  at::parallel_for(0, blocks, 256, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t i = begin; i < end; ++i) r->block(data + i * t.block_bytes, y + i * t.block_values);
  });
}

}  // namespace remix::model
