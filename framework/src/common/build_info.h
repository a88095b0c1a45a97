// Facts about this build of remix, generated at build time from git and CMake (cmake/BuildInfo.cmake), so
// every run can record which code produced it.
#pragma once

#include <string>

namespace remix::build_info {

const char* version();      // remix release, e.g. "0.1.0"
const char* git_rev();      // commit of the source tree at build time, or "unknown"
bool git_dirty();           // the tree had uncommitted changes at build time
const char* build_type();   // CMake build type
const char* plugin_dir();   // where this build puts its plugins (build tree)
const char* install_plugin_dir();  // where `cmake --install` puts them, relative to the install prefix
const char* source_datasets_dir();   // the source tree's datasets/ folder (built-in fact tables, templates)
const char* install_datasets_dir();  // where `cmake --install` puts it, relative to the install prefix
// The datasets/ folder task plugins read built-in data from: the installed copy beside the running binary
// (PREFIX/share/remix/datasets) when there is one, else the source tree's.
std::string datasets_dir();

}  // namespace remix::build_info
