// Sealed files (see sealed_file.h).
#include "common/sealed_file.h"

#include <filesystem>
#include <fstream>
#include <iterator>

#include "common/atomic_file.h"
#include "common/sha256.h"
#include "remix/errors.h"

namespace remix {

namespace fs = std::filesystem;

std::string seal_path(const std::string& path) { return path + ".sha256"; }

std::string write_sealed_file(const std::string& path, const std::string& bytes) {
  std::string digest = sha256_hex(bytes);
  write_file_atomically(path, bytes);
  write_file_atomically(seal_path(path), digest + "  " + fs::path(path).filename().string() + "\n");
  return digest;
}

SealCheck check_sealed_file(const std::string& path) {
  SealCheck c;
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    c.problem = "missing";
    return c;
  }
  std::ifstream seal(seal_path(path));
  std::string recorded;
  if (!(seal >> recorded) || recorded.size() != 64) {
    c.problem = "has no digest beside it (" + seal_path(path) +
                "): it was not written to the end, or by a remix that did not seal its files";
    return c;
  }
  std::string bytes((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  std::string actual = sha256_hex(bytes);
  if (actual != recorded) {
    c.problem = "its sha256 " + actual.substr(0, 16) + "... does not match the " + recorded.substr(0, 16) +
                "... recorded when it was written (" + seal_path(path) + "): the file is corrupt";
    return c;
  }
  c.intact = true;
  c.digest = actual;
  return c;
}

std::string require_sealed_file(const std::string& path) {
  auto c = check_sealed_file(path);
  if (!c.intact) throw DataError(path + ": " + c.problem);
  return c.digest;
}

void remove_sealed_file(const std::string& path) {
  std::error_code ec;
  fs::remove(path, ec);
  fs::remove(seal_path(path), ec);
}

}  // namespace remix
