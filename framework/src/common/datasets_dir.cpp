// Where the running remix finds its built-in datasets/ folder (see build_info.h): an installed binary uses
// the copy installed beside it, a binary in the build tree (or one whose install lacks it) the source tree's.
#include <boost/dll/runtime_symbol_info.hpp>

#include <filesystem>

#include "common/build_info.h"

namespace remix::build_info {

std::string datasets_dir() {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path exe_dir = fs::path(boost::dll::program_location(ec).string()).parent_path();
  if (!ec) {
    fs::path installed = (exe_dir / ".." / install_datasets_dir()).lexically_normal();
    if (fs::is_directory(installed, ec)) return installed.string();
  }
  return source_datasets_dir();
}

}  // namespace remix::build_info
