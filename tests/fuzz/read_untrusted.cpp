// One untrusted input through a reader (see read_untrusted.h).
#include "read_untrusted.h"

#include <sys/mman.h>
#include <unistd.h>

#include <string>

#include "model/gguf_file.h"
#include "model/gguf_tokenizer.h"
#include "model/safetensors.h"
#include "remix/errors.h"

namespace remix::fuzz {

namespace {

constexpr std::uint64_t kMaxTensorBytes = 16u << 20;  // larger tensors are only span-checked, not copied out

class AnonymousFile {
 public:
  AnonymousFile(const std::uint8_t* data, std::size_t size) : fd_(::memfd_create("fuzz", 0)) {
    for (std::size_t done = 0; fd_ >= 0 && done < size;) {
      auto n = ::write(fd_, data + done, size - done);
      if (n <= 0) break;
      done += static_cast<std::size_t>(n);
    }
  }
  ~AnonymousFile() {
    if (fd_ >= 0) ::close(fd_);
  }
  std::string path() const { return "/proc/self/fd/" + std::to_string(fd_); }

 private:
  int fd_;
};

}  // namespace

bool read_untrusted(Format format, const std::uint8_t* data, std::size_t size) {
  AnonymousFile file(data, size);
  try {
    if (format == Format::Safetensors) {
      model::SafetensorsFile f(file.path());
      for (const auto& [name, e] : f.tensors())
        if (e.end - e.begin <= kMaxTensorBytes) {
          try {
            f.tensor(name);
          } catch (const DataError&) {  // an unloadable dtype: refused, the rest still read
          }
        }
    } else {
      model::GgufFile f(file.path());
      for (const auto& t : f.tensors())
        if (t.bytes <= kMaxTensorBytes && t.type->loadable) f.tensor(t.name);
      if (f.find("tokenizer.ggml.model")) model::load_gguf_tokenizer(f)->encode("Hello world 123");
    }
    return true;
  } catch (const DataError&) {
    return false;
  }
}

}  // namespace remix::fuzz
