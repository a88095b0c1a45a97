// Files remix writes to read back later (trial checkpoints, cached base models) are sealed: the bytes are
// written atomically (atomic_file.h), then a digest file beside them, `<file>.sha256`, in sha256sum's format
// ("<hex>  <name>", so `sha256sum -c` checks it too), written atomically after them. The digest is the
// completion marker: a file is trusted only when its digest file exists and matches its bytes. A crash before
// the digest leaves an unsealed file (never trusted); flipped bits leave a corrupt one (refused, naming it).
#pragma once

#include <string>

namespace remix {

// Writes `bytes` to `path` and seals it; returns the sha256 (hex). DataError naming the path on failure.
std::string write_sealed_file(const std::string& path, const std::string& bytes);

struct SealCheck {
  bool intact = false;
  std::string digest;   // the file's sha256 when intact
  std::string problem;  // why not: "missing", "has no digest beside it ...", "sha256 ... does not match ..."
};
// Whether `path` is complete and intact; reads the whole file.
SealCheck check_sealed_file(const std::string& path);
// The sealed file's digest; DataError naming the file and what is wrong when it is not intact.
std::string require_sealed_file(const std::string& path);
// Removes a sealed file and its digest (either may be missing).
void remove_sealed_file(const std::string& path);
// The digest file of `path`.
std::string seal_path(const std::string& path);

}  // namespace remix
