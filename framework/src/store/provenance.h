// Provenance tags recorded with every run: which remix (version, git revision, dirty flag), which LibTorch
// and BLAS (library and the kernel OpenBLAS chose), which CPU and host, which config file. The trainer adds the
// device and each plugin's path, sha256 and version.
#pragma once

#include <map>
#include <string>

namespace remix::store {

std::string host_name();
std::map<std::string, std::string> provenance_tags();
// Tags for a config file: its path and the sha256 of its bytes.
std::map<std::string, std::string> config_file_tags(const std::string& path);

}  // namespace remix::store
