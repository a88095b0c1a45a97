// The safetensors reader and writer (see safetensors.h).
#include "model/safetensors.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <nlohmann/json.hpp>

#include "common/atomic_file.h"
#include "remix/errors.h"

namespace remix::model {

namespace {

struct DtypeInfo {
  const char* name;
  std::uint64_t bytes;
  bool torch_holds;
  torch::ScalarType type;
};

// The format's dtypes; those torch 1.13 has no type for are parsed (so spans check) but not loadable.
const DtypeInfo kDtypes[] = {
    {"F64", 8, true, torch::kDouble},   {"F32", 4, true, torch::kFloat},    {"F16", 2, true, torch::kHalf},
    {"BF16", 2, true, torch::kBFloat16}, {"I64", 8, true, torch::kLong},    {"I32", 4, true, torch::kInt},
    {"I16", 2, true, torch::kShort},    {"I8", 1, true, torch::kChar},      {"U8", 1, true, torch::kByte},
    {"BOOL", 1, true, torch::kBool},    {"U64", 8, false, torch::kLong},    {"U32", 4, false, torch::kInt},
    {"U16", 2, false, torch::kShort},   {"F8_E4M3", 1, false, torch::kByte}, {"F8_E5M2", 1, false, torch::kByte},
};

const DtypeInfo* find_dtype(const std::string& name) {
  for (const auto& d : kDtypes)
    if (name == d.name) return &d;
  return nullptr;
}

const DtypeInfo* dtype_of(torch::ScalarType t) {
  for (const auto& d : kDtypes)
    if (d.torch_holds && d.type == t) return &d;
  return nullptr;
}

std::uint64_t read_u64_le(const std::uint8_t* p) {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

}  // namespace

SafetensorsFile::SafetensorsFile(const std::string& path)
    : file_(std::make_shared<MappedFile>(path, "safetensors file")) {
  auto fail = [&](const std::string& why) { return DataError(fmt::format("{}: not a valid safetensors file: {}", path, why)); };
  const std::uint64_t header_len = read_u64_le(file_->bytes(0, 8, "the header length"));
  if (header_len > kMaxHeaderBytes)
    throw fail(fmt::format("the header claims {} bytes, more than the {} MB limit", header_len, kMaxHeaderBytes >> 20));
  if (header_len > file_->size() - 8)
    throw fail(fmt::format("the header claims {} bytes but the file has only {} after the length", header_len,
                           file_->size() - 8));
  const auto* text = reinterpret_cast<const char*>(file_->bytes(8, header_len, "the JSON header"));
  nlohmann::json header;
  try {
    header = nlohmann::json::parse(text, text + header_len);
  } catch (const nlohmann::json::exception& e) {
    throw fail(fmt::format("the header is not JSON ({})", e.what()));
  }
  if (!header.is_object()) throw fail("the header is not a JSON object");
  data_start_ = 8 + header_len;
  const std::uint64_t data_bytes = file_->size() - data_start_;

  for (auto it = header.begin(); it != header.end(); ++it) {
    const auto& name = it.key();
    const auto& v = it.value();
    if (name == "__metadata__") {
      if (!v.is_object()) throw fail("__metadata__ is not an object");
      for (auto m = v.begin(); m != v.end(); ++m)
        if (m.value().is_string()) metadata_[m.key()] = m.value().get<std::string>();
      continue;
    }
    auto bad = [&](const std::string& why) { return fail(fmt::format("tensor '{}': {}", name, why)); };
    if (!v.is_object() || !v.contains("dtype") || !v.contains("shape") || !v.contains("data_offsets"))
      throw bad("needs dtype, shape and data_offsets");
    if (!v["dtype"].is_string()) throw bad("dtype is not a string");
    SafetensorsEntry e;
    e.dtype = v["dtype"].get<std::string>();
    const auto* info = find_dtype(e.dtype);
    if (!info) throw bad(fmt::format("unknown dtype '{}'", e.dtype));
    if (!v["shape"].is_array()) throw bad("shape is not an array");
    std::uint64_t numel = 1;
    for (const auto& d : v["shape"]) {
      if (!d.is_number_unsigned()) throw bad("shape holds a value that is not a non-negative integer");
      const auto dim = d.get<std::uint64_t>();
      if (dim > (1ull << 40) || (dim != 0 && numel > (1ull << 50) / dim)) throw bad("shape is impossibly large");
      numel *= dim;
      e.shape.push_back(static_cast<std::int64_t>(dim));
    }
    const auto& off = v["data_offsets"];
    if (!off.is_array() || off.size() != 2 || !off[0].is_number_unsigned() || !off[1].is_number_unsigned())
      throw bad("data_offsets is not a pair of non-negative integers");
    e.begin = off[0].get<std::uint64_t>();
    e.end = off[1].get<std::uint64_t>();
    if (e.begin > e.end || e.end > data_bytes)
      throw bad(fmt::format("data_offsets [{}, {}) lie outside the {} data bytes", e.begin, e.end, data_bytes));
    if (e.end - e.begin != numel * info->bytes)
      throw bad(fmt::format("shape {} of {} needs {} bytes but data_offsets span {}", v["shape"].dump(), e.dtype,
                            numel * info->bytes, e.end - e.begin));
    tensors_.emplace(name, std::move(e));
  }
  std::vector<std::pair<std::uint64_t, const std::string*>> spans;
  for (const auto& [name, e] : tensors_)
    if (e.end > e.begin) spans.emplace_back(e.begin, &name);
  std::sort(spans.begin(), spans.end());
  for (std::size_t i = 1; i < spans.size(); ++i) {
    const auto& prev = tensors_.at(*spans[i - 1].second);
    if (spans[i].first < prev.end)
      throw fail(fmt::format("tensors '{}' and '{}' overlap", *spans[i - 1].second, *spans[i].second));
  }
}

const SafetensorsEntry& SafetensorsFile::entry(const std::string& name) const {
  auto it = tensors_.find(name);
  if (it == tensors_.end()) throw DataError(fmt::format("{}: no tensor '{}'", path(), name));
  return it->second;
}

torch::Tensor SafetensorsFile::tensor(const std::string& name) const {
  const auto& e = entry(name);
  const auto* info = find_dtype(e.dtype);
  if (!info->torch_holds)
    throw DataError(fmt::format("{}: tensor '{}' has dtype {}, which remix cannot load (F32, F16, BF16 and the "
                                "signed integer types can be)",
                                path(), name, e.dtype));
  auto out = torch::empty(e.shape, torch::dtype(info->type));
  const auto* src = file_->bytes(data_start_ + e.begin, e.end - e.begin, fmt::format("tensor '{}'", name));
  if (e.end > e.begin) std::memcpy(out.data_ptr(), src, e.end - e.begin);  // the file is little-endian, as is x86
  file_->release(data_start_ + e.begin, e.end - e.begin);
  return out;
}

void SafetensorsFile::read_into(const std::string& name, torch::Tensor& target) const {
  const auto& e = entry(name);
  const auto* info = find_dtype(e.dtype);
  if (info->torch_holds && info->type == target.scalar_type() && target.is_contiguous() &&
      static_cast<std::uint64_t>(target.numel()) * info->bytes == e.end - e.begin) {
    const auto* src = file_->bytes(data_start_ + e.begin, e.end - e.begin, fmt::format("tensor '{}'", name));
    if (e.end > e.begin) std::memcpy(target.data_ptr(), src, e.end - e.begin);
    file_->release(data_start_ + e.begin, e.end - e.begin);
    return;
  }
  target.copy_(tensor(name).view(target.sizes()));
}

void SafetensorsFile::write(const std::string& path, const std::vector<std::pair<std::string, torch::Tensor>>& tensors,
                            const std::map<std::string, std::string>& metadata) {
  nlohmann::json header = nlohmann::json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::vector<torch::Tensor> data;
  std::uint64_t offset = 0;
  for (const auto& [name, t] : tensors) {
    const auto* info = dtype_of(t.scalar_type());
    if (!info) throw DataError(fmt::format("{}: cannot write tensor '{}' of type {}", path, name, std::string(t.dtype().name())));
    auto c = t.detach().to(torch::kCPU).contiguous();
    const std::uint64_t n = c.numel() * info->bytes;
    header[name] = {{"dtype", info->name}, {"shape", c.sizes().vec()}, {"data_offsets", {offset, offset + n}}};
    offset += n;
    data.push_back(c);
  }
  std::string json = header.dump();
  json.append((8 - (json.size() % 8)) % 8, ' ');  // the data section starts 8-byte aligned
  std::string bytes(8, '\0');
  for (int i = 0; i < 8; ++i) bytes[i] = static_cast<char>((json.size() >> (8 * i)) & 0xff);
  bytes += json;
  for (const auto& c : data) bytes.append(static_cast<const char*>(c.data_ptr()), c.numel() * c.element_size());
  write_file_atomically(path, bytes);
}

}  // namespace remix::model
