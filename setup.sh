#!/usr/bin/env bash
# Sets remix up on Debian 12: installs the Debian packages it needs (through sudo when not root; apt is not
# touched when they are all present), then configures a Release build in build/ and builds it with all cores.
# Running it again only rebuilds what changed.
set -euo pipefail
cd "$(dirname "$0")"

packages=(
  build-essential cmake git pkg-config
  libtorch-dev libopenblas0-pthread          # LibTorch, on OpenBLAS (the reference BLAS is ~40x slower)
  libgloo-dev                                 # headers of the Gloo c10d backend in LibTorch (data parallelism)
  libyaml-cpp-dev libboost-dev libsqlite3-dev sqlite3 libfmt-dev libcli11-dev nlohmann-json3-dev libssl-dev
  libpq-dev                                   # results stores on a PostgreSQL server
  libicu-dev                                  # Unicode character classes for real tokenizers
  postgresql                                  # the tests start throwaway PostgreSQL clusters
  libgtest-dev libgmock-dev libbenchmark-dev
  python3 bubblewrap                          # the code task runs samples with python3, sandboxed by bwrap
  python3-venv                                # tests/reference: the venv of the Python references (transformers, ...)
  chromium                                    # the report test renders the HTML report headless
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  echo "setup: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

blas=$(readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3 2>/dev/null || true)
case "$blas" in
  *openblas*) ;;
  *) echo "setup: warning: libblas.so.3 is $blas, not OpenBLAS; LibTorch will be very slow on CPU" \
          "(fix: update-alternatives --config libblas.so.3-x86_64-linux-gnu)" >&2 ;;
esac

if [ ! -f build/CMakeCache.txt ]; then
  cmake -S . -B build -DCMAKE_BUILD_TYPE=Release
fi
cmake --build build -j"$(nproc)"
