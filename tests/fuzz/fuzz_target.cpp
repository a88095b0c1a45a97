// libFuzzer entry point for one reader, chosen at compile time (-DREMIX_FUZZ_GGUF for GGUF, else safetensors).
// Built and run by tests/fuzz/run.sh, not by the normal build.
#include "read_untrusted.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
#ifdef REMIX_FUZZ_GGUF
  remix::fuzz::read_untrusted(remix::fuzz::Format::Gguf, data, size);
#else
  remix::fuzz::read_untrusted(remix::fuzz::Format::Safetensors, data, size);
#endif
  return 0;
}
