// Precompiled header of the framework: LibTorch and the heavy header-only libraries, parsed once per build
// instead of once per file (torch/torch.h alone costs ~15 s a file on two cores).
#pragma once

#include <torch/torch.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include <map>
#include <memory>
#include <string>
#include <vector>
