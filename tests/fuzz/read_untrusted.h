// What the fuzzers and the kept-corpus test do with one untrusted input: write it to an anonymous file, open it
// with the safetensors or GGUF reader, and read every tensor (and, for GGUF, build its tokenizer). Any DataError
// is the expected refusal; anything else — a crash, a sanitizer report, another exception — is a bug.
#pragma once

#include <cstddef>
#include <cstdint>

namespace remix::fuzz {

enum class Format { Safetensors, Gguf };

// Returns true when the input was read, false when it was refused with a DataError.
bool read_untrusted(Format format, const std::uint8_t* data, std::size_t size);

}  // namespace remix::fuzz
