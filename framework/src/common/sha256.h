// SHA-256 digests (OpenSSL's libcrypto): trial keys are the digest of a canonical config, and plugins and
// checkpoints are recorded with the digest of their file.
#pragma once

#include <string>
#include <string_view>

namespace remix {

std::string sha256_hex(std::string_view data);
// Digest of a file's bytes; throws remix::DataError naming the path if it cannot be read.
std::string sha256_file_hex(const std::string& path);

}  // namespace remix
