// Checked reads from a llama2.c binary file (see binary_file.h).
#include "model/binary_file.h"

#include <fmt/format.h>

#include <fstream>

#include "remix/errors.h"

namespace remix::model {

BinaryFile::BinaryFile(std::string path, const std::string& what) : path_(std::move(path)) {
  std::ifstream in(path_, std::ios::binary | std::ios::ate);
  if (!in) throw DataError(fmt::format("cannot open {} {}", what, path_));
  auto size = static_cast<std::size_t>(in.tellg());
  bytes_.resize(size);
  in.seekg(0);
  if (size && !in.read(bytes_.data(), static_cast<std::streamsize>(size)))
    throw DataError(fmt::format("cannot read {} {}", what, path_));
}

void BinaryFile::need(std::size_t n, const std::string& what) const {
  if (n > bytes_.size() - offset_)
    throw DataError(fmt::format("{}: truncated: reading {} needs {} bytes at offset {}, but the file has {} bytes",
                                path_, what, n, offset_, bytes_.size()));
}

std::int32_t BinaryFile::read_i32(const std::string& what) {
  need(4, what);
  std::int32_t v;
  std::memcpy(&v, bytes_.data() + offset_, 4);
  offset_ += 4;
  return v;
}

float BinaryFile::read_f32(const std::string& what) {
  need(4, what);
  float v;
  std::memcpy(&v, bytes_.data() + offset_, 4);
  offset_ += 4;
  return v;
}

std::string BinaryFile::read_bytes(std::size_t n, const std::string& what) {
  need(n, what);
  std::string s(bytes_.data() + offset_, n);
  offset_ += n;
  return s;
}

std::vector<float> BinaryFile::read_f32s(std::size_t n, const std::string& what) {
  if (n > (bytes_.size() - offset_) / 4)  // compared in values, so n * 4 cannot overflow
    throw DataError(
        fmt::format("{}: truncated: reading {} needs {} float32 values ({} bytes) at offset {}, but the "
                    "file has {} bytes",
                    path_, what, n, static_cast<double>(n) * 4, offset_, bytes_.size()));
  std::vector<float> v(n);
  std::memcpy(v.data(), bytes_.data() + offset_, n * 4);
  offset_ += n * 4;
  return v;
}

void BinaryFile::skip(std::size_t n, const std::string& what) {
  need(n, what);
  offset_ += n;
}

}  // namespace remix::model
