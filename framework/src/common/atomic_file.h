// Crash-safe file writes: the bytes go to a temporary file beside the target, are fsync'ed, and the
// temporary is renamed over the target (then the directory is fsync'ed), so a reader sees the old file or
// the complete new one, never a torn write. Checkpoints and cached base models are written this way.
#pragma once

#include <string>

namespace remix {

// Throws remix::DataError naming the path on any failure (the target is then unchanged).
void write_file_atomically(const std::string& path, const std::string& bytes);

}  // namespace remix
