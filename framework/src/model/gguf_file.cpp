// The GGUF reader (see gguf_file.h).
#include "model/gguf_file.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "remix/errors.h"

namespace remix::model {

namespace {

constexpr std::uint32_t kMagic = 0x46554747;  // "GGUF" little-endian
constexpr std::uint32_t kMaxDims = 4;

// A bounds-checked cursor over the mapping.
class Cursor {
 public:
  explicit Cursor(const MappedFile& f) : f_(f) {}
  std::uint64_t offset() const { return offset_; }
  std::uint64_t left() const { return f_.size() - offset_; }

  template <class T>
  T read(const char* what) {
    T v;
    std::memcpy(&v, take(sizeof(T), what), sizeof(T));
    return v;
  }
  std::string read_string(const std::string& what) {
    const auto n = read<std::uint64_t>("a string length");
    if (n > left())
      throw DataError(fmt::format("{}: at offset {}: {} claims a string of {} bytes but only {} are left",
                                  f_.path(), offset_ - 8, what, n, left()));
    const auto* p = take(n, what.c_str());
    return std::string(reinterpret_cast<const char*>(p), n);
  }

 private:
  const std::uint8_t* take(std::uint64_t n, const char* what) {
    const auto* p = f_.bytes(offset_, n, what);
    offset_ += n;
    return p;
  }
  const MappedFile& f_;
  std::uint64_t offset_ = 0;
};

std::uint64_t min_value_bytes(std::uint32_t type) {
  static const std::uint64_t sizes[] = {1, 1, 2, 2, 4, 4, 4, 1, 8, 12, 8, 8, 8};
  return type < 13 ? sizes[type] : 1;
}

GgufValue read_value(Cursor& c, std::uint32_t type, const std::string& key, const std::string& path, int depth) {
  GgufValue v;
  if (type > GgufValue::F64)
    throw DataError(fmt::format("{}: metadata '{}' has unknown value type {}", path, key, type));
  v.type = static_cast<GgufValue::Type>(type);
  auto set_int = [&](std::int64_t x) {
    v.i = x;
    v.u = x >= 0 ? static_cast<std::uint64_t>(x) : 0;
    v.f = static_cast<double>(x);
  };
  switch (v.type) {
    case GgufValue::U8: set_int(c.read<std::uint8_t>("a u8 value")); break;
    case GgufValue::I8: set_int(c.read<std::int8_t>("an i8 value")); break;
    case GgufValue::U16: set_int(c.read<std::uint16_t>("a u16 value")); break;
    case GgufValue::I16: set_int(c.read<std::int16_t>("an i16 value")); break;
    case GgufValue::U32: set_int(c.read<std::uint32_t>("a u32 value")); break;
    case GgufValue::I32: set_int(c.read<std::int32_t>("an i32 value")); break;
    case GgufValue::I64: set_int(c.read<std::int64_t>("an i64 value")); break;
    case GgufValue::U64:
      v.u = c.read<std::uint64_t>("a u64 value");
      v.i = static_cast<std::int64_t>(v.u);
      v.f = static_cast<double>(v.u);
      break;
    case GgufValue::F32: v.f = c.read<float>("an f32 value"); break;
    case GgufValue::F64: v.f = c.read<double>("an f64 value"); break;
    case GgufValue::Bool: v.b = c.read<std::uint8_t>("a bool value") != 0; break;
    case GgufValue::String: v.s = c.read_string(fmt::format("metadata '{}'", key)); break;
    case GgufValue::Array: {
      if (depth > 0) throw DataError(fmt::format("{}: metadata '{}' nests arrays, which GGUF models never do", path, key));
      const auto item = c.read<std::uint32_t>("an array's item type");
      const auto n = c.read<std::uint64_t>("an array's length");
      if (item > GgufValue::F64)
        throw DataError(fmt::format("{}: metadata '{}' is an array of unknown value type {}", path, key, item));
      if (n > c.left() / min_value_bytes(item))
        throw DataError(fmt::format("{}: metadata '{}' claims {} array items but only {} bytes are left", path, key,
                                    n, c.left()));
      v.item_type = static_cast<GgufValue::Type>(item);
      v.items.reserve(n);
      for (std::uint64_t k = 0; k < n; ++k) v.items.push_back(read_value(c, item, key, path, depth + 1));
      break;
    }
  }
  return v;
}

}  // namespace

std::int64_t GgufTensorInfo::numel() const {
  std::int64_t n = 1;
  for (auto d : shape) n *= d;
  return n;
}

GgufFile::GgufFile(const std::string& path) : file_(std::make_shared<MappedFile>(path, "GGUF file")) {
  Cursor c(*file_);
  auto fail = [&](const std::string& why) { return DataError(fmt::format("{}: not a valid GGUF file: {}", path, why)); };
  if (c.left() < 4 || c.read<std::uint32_t>("the magic") != kMagic) throw fail("the magic is not 'GGUF'");
  version_ = c.read<std::uint32_t>("the version");
  if (version_ != 2 && version_ != 3)
    throw fail(fmt::format("version {} (remix reads GGUF versions 2 and 3)", version_));
  const auto n_tensors = c.read<std::uint64_t>("the tensor count");
  const auto n_kv = c.read<std::uint64_t>("the metadata count");
  if (n_kv > c.left() / 12) throw fail(fmt::format("it claims {} metadata entries, more than its bytes can hold", n_kv));
  if (n_tensors > c.left() / 24) throw fail(fmt::format("it claims {} tensors, more than its bytes can hold", n_tensors));

  for (std::uint64_t k = 0; k < n_kv; ++k) {
    auto key = c.read_string("a metadata key");
    const auto type = c.read<std::uint32_t>("a metadata value type");
    auto value = read_value(c, type, key, path, 0);
    if (!metadata_.emplace(key, std::move(value)).second) throw fail(fmt::format("metadata key '{}' appears twice", key));
  }
  if (auto a = find("general.alignment")) {
    if (!a->is_integer() || a->u == 0 || (a->u & (a->u - 1)) != 0 || a->u > (1u << 20))
      throw fail("general.alignment is not a power of two up to 1 MiB");
    alignment_ = a->u;
  }

  for (std::uint64_t t = 0; t < n_tensors; ++t) {
    GgufTensorInfo info;
    info.name = c.read_string("a tensor name");
    auto bad = [&](const std::string& why) { return fail(fmt::format("tensor '{}': {}", info.name, why)); };
    const auto n_dims = c.read<std::uint32_t>("a tensor's dimension count");
    if (n_dims == 0 || n_dims > kMaxDims) throw bad(fmt::format("{} dimensions (1 to {} allowed)", n_dims, kMaxDims));
    std::vector<std::int64_t> ne;
    std::uint64_t numel = 1;
    for (std::uint32_t d = 0; d < n_dims; ++d) {
      const auto n = c.read<std::uint64_t>("a tensor dimension");
      if (n == 0 || n > (1ull << 40) || numel > (1ull << 50) / n) throw bad("its shape is empty or impossibly large");
      numel *= n;
      ne.push_back(static_cast<std::int64_t>(n));
    }
    const auto type_id = c.read<std::uint32_t>("a tensor type");
    info.type = ggml_type(type_id);
    if (!info.type) throw bad(fmt::format("unknown ggml type {}", type_id));
    if (ne[0] % info.type->block_values != 0)
      throw bad(fmt::format("its rows of {} values are not whole {} blocks of {}", ne[0], info.type->name,
                            info.type->block_values));
    info.bytes = numel / info.type->block_values * info.type->block_bytes;
    info.offset = c.read<std::uint64_t>("a tensor offset");
    if (info.offset % alignment_ != 0) throw bad(fmt::format("offset {} is not aligned to {}", info.offset, alignment_));
    info.shape.assign(ne.rbegin(), ne.rend());
    if (!tensor_index_.emplace(info.name, tensors_.size()).second) throw bad("the name appears twice");
    tensors_.push_back(std::move(info));
  }
  data_start_ = (c.offset() + alignment_ - 1) / alignment_ * alignment_;
  // A file without tensors (llama.cpp's vocabulary-only files) may end before the alignment padding.
  if (data_start_ > file_->size()) {
    if (!tensors_.empty()) throw fail("the data section starts past the end of the file");
    data_start_ = file_->size();
  }
  const std::uint64_t data_bytes = file_->size() - data_start_;
  std::vector<const GgufTensorInfo*> by_offset;
  for (const auto& t : tensors_) {
    if (t.offset > data_bytes || t.bytes > data_bytes - t.offset)
      throw fail(fmt::format("tensor '{}' ({} bytes at data offset {}) lies past the end of the file ({} data bytes; "
                             "truncated?)",
                             t.name, t.bytes, t.offset, data_bytes));
    by_offset.push_back(&t);
  }
  std::sort(by_offset.begin(), by_offset.end(), [](auto* a, auto* b) { return a->offset < b->offset; });
  for (std::size_t i = 1; i < by_offset.size(); ++i)
    if (by_offset[i]->offset < by_offset[i - 1]->offset + by_offset[i - 1]->bytes)
      throw fail(fmt::format("tensors '{}' and '{}' overlap", by_offset[i - 1]->name, by_offset[i]->name));
}

const GgufValue* GgufFile::find(const std::string& key) const {
  auto it = metadata_.find(key);
  return it == metadata_.end() ? nullptr : &it->second;
}

namespace {
const GgufValue& need(const GgufFile& f, const std::string& key) {
  if (const auto* v = f.find(key)) return *v;
  throw DataError(fmt::format("{}: the GGUF metadata lacks '{}'", f.path(), key));
}
DataError wrong_type(const GgufFile& f, const std::string& key, const char* wanted) {
  return DataError(fmt::format("{}: GGUF metadata '{}' is not {}", f.path(), key, wanted));
}
}  // namespace

std::string GgufFile::get_string(const std::string& key) const {
  const auto& v = need(*this, key);
  if (v.type != GgufValue::String) throw wrong_type(*this, key, "a string");
  return v.s;
}

std::uint64_t GgufFile::get_uint(const std::string& key) const {
  const auto& v = need(*this, key);
  if (!v.is_integer() || v.i < 0) throw wrong_type(*this, key, "a non-negative integer");
  return v.u;
}

double GgufFile::get_float(const std::string& key) const {
  const auto& v = need(*this, key);
  if (!v.is_integer() && v.type != GgufValue::F32 && v.type != GgufValue::F64) throw wrong_type(*this, key, "a number");
  return v.f;
}

std::optional<std::uint64_t> GgufFile::find_uint(const std::string& key) const {
  if (!find(key)) return std::nullopt;
  return get_uint(key);
}

std::optional<double> GgufFile::find_float(const std::string& key) const {
  if (!find(key)) return std::nullopt;
  return get_float(key);
}

std::vector<std::string> GgufFile::get_strings(const std::string& key) const {
  const auto& v = need(*this, key);
  if (v.type != GgufValue::Array || v.item_type != GgufValue::String) throw wrong_type(*this, key, "an array of strings");
  std::vector<std::string> out;
  out.reserve(v.items.size());
  for (const auto& item : v.items) out.push_back(item.s);
  return out;
}

std::vector<double> GgufFile::get_floats(const std::string& key) const {
  const auto& v = need(*this, key);
  const bool numeric = v.item_type != GgufValue::String && v.item_type != GgufValue::Bool && v.item_type != GgufValue::Array;
  if (v.type != GgufValue::Array || !numeric) throw wrong_type(*this, key, "an array of numbers");
  std::vector<double> out;
  out.reserve(v.items.size());
  for (const auto& item : v.items) out.push_back(item.f);
  return out;
}

const GgufTensorInfo* GgufFile::find_tensor(const std::string& name) const {
  auto it = tensor_index_.find(name);
  return it == tensor_index_.end() ? nullptr : &tensors_[it->second];
}

torch::Tensor GgufFile::tensor(const std::string& name) const {
  const auto* t = find_tensor(name);
  if (!t) throw DataError(fmt::format("{}: the GGUF file has no tensor '{}'", path(), name));
  if (!t->type->loadable)
    throw DataError(fmt::format("{}: tensor '{}' is stored as {}, which remix cannot dequantize (it reads F32, F16, "
                                "BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K, Q6_K)",
                                path(), name, t->type->name));
  const auto* data = file_->bytes(data_start_ + t->offset, t->bytes, fmt::format("tensor '{}'", name));
  auto out = dequantize(*t->type, data, t->numel(), t->shape);
  file_->release(data_start_ + t->offset, t->bytes);
  return out;
}

void GgufFile::read_into(const std::string& name, torch::Tensor& target) const {
  const auto* t = find_tensor(name);
  if (t && t->type->loadable && t->type->block_values > 1 && target.scalar_type() == torch::kFloat &&
      target.is_contiguous() && target.numel() == t->numel()) {
    const auto* data = file_->bytes(data_start_ + t->offset, t->bytes, fmt::format("tensor '{}'", name));
    dequantize_into(*t->type, data, t->numel(), target.data_ptr<float>());
    file_->release(data_start_ + t->offset, t->bytes);
    return;
  }
  target.copy_(tensor(name).view(target.sizes()));
}

}  // namespace remix::model
