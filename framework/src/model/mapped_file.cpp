// The read-only mapping (see mapped_file.h).
#include "model/mapped_file.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "remix/errors.h"

namespace remix::model {

MappedFile::MappedFile(std::string path, const std::string& what) : path_(std::move(path)) {
  int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw DataError(fmt::format("{}: cannot open the {}: {}", path_, what, std::strerror(errno)));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    throw DataError(fmt::format("{}: the {} is not a regular file", path_, what));
  }
  size_ = static_cast<std::uint64_t>(st.st_size);
  if (size_ > 0) {
    data_ = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
    if (data_ == MAP_FAILED) {
      data_ = nullptr;
      ::close(fd);
      throw DataError(fmt::format("{}: cannot map the {}: {}", path_, what, std::strerror(errno)));
    }
  }
  ::close(fd);
}

MappedFile::~MappedFile() {
  if (data_) ::munmap(data_, size_);
}

const std::uint8_t* MappedFile::bytes(std::uint64_t offset, std::uint64_t length, const std::string& what) const {
  if (offset > size_ || length > size_ - offset)
    throw DataError(fmt::format("{}: {} needs bytes [{}, {}) but the file has {} bytes (truncated or corrupt)", path_,
                                what, offset, offset + length, size_));
  return static_cast<const std::uint8_t*>(data_) + offset;
}

void MappedFile::release(std::uint64_t offset, std::uint64_t length) const {
  if (!data_ || offset >= size_) return;
  const std::uint64_t page = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
  const std::uint64_t begin = (offset + page - 1) / page * page;  // whole pages inside the span only
  const std::uint64_t end = std::min(size_, offset + length) / page * page;
  if (end > begin) ::madvise(static_cast<std::uint8_t*>(data_) + begin, end - begin, MADV_DONTNEED);
}

}  // namespace remix::model
