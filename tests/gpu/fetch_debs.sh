#!/usr/bin/env bash
# Downloads, here, the Debian packages remix builds against that the GPU device machine lacks (it has PyTorch, CMake,
# ninja and nvcc, no Debian libraries) into .gpu-debs/ (ignored by git), for tests/gpu/device_check.sh to unpack
# there. Run once before the device tool's `run` with carry [".gpu-debs"].
set -euo pipefail
cd "$(dirname "$0")/../.."
grep -qx '/.gpu-debs/' .git/info/exclude 2>/dev/null || echo '/.gpu-debs/' >> .git/info/exclude
mkdir -p .gpu-debs
cd .gpu-debs
packages=(
  libyaml-cpp-dev libyaml-cpp0.7 libboost1.74-dev libsqlite3-dev libsqlite3-0 libfmt-dev libfmt9 libcli11-dev
  nlohmann-json3-dev libssl-dev libssl3 libpq-dev libpq5 libicu-dev libicu72 libgtest-dev libgmock-dev
)
apt-get download "${packages[@]}" >/dev/null
du -sh . | sed 's/^/gpu debs: /'
