#!/usr/bin/env bash
# Sets remix up on Debian 12: installs the Debian packages it needs (through sudo when not root; apt is not
# touched when they are all present), then configures a Release build in build/ and builds it with all cores.
# Running it again only rebuilds what changed. New build folders use Ninja: with Makefiles, CMake writes every
# source's precompiled-header option into one flags file that every object depends on, so adding a source file
# rebuilt the whole framework (~20 minutes on 2 cores); Ninja rebuilds only the new file. A folder configured
# before keeps its generator.
#
#   ./setup.sh                   Debian's LibTorch 1.13 (CPU) into build/: what the README's two commands use
#   ./setup.sh --torch pip       PyPI's torch 2.x (CUDA-enabled; the venv tests/reference/setup_env.sh installs) into
#                                build-torch2/, compiled against the CUDA toolkit in /usr/local/cuda when there is one
#   ./setup.sh --torch DIR       any other LibTorch (e.g. the official zip unpacked in DIR) into build-torch2/
#   ... --tests core             build only the model, adapter, router and training tests (what CI runs on 2.x)
set -euo pipefail
cd "$(dirname "$0")"

torch_source=debian
test_scope=all
while (($#)); do
  case "$1" in
    --torch) torch_source="${2:?--torch needs pip or a LibTorch folder}"; shift 2 ;;
    --tests) test_scope="${2:?--tests needs all or core}"; shift 2 ;;
    *) echo "setup: unknown argument '$1' (expected --torch pip|DIR, --tests all|core)" >&2; exit 2 ;;
  esac
done
case "$test_scope" in all|core) ;; *) echo "setup: --tests expects all or core, got '$test_scope'" >&2; exit 2 ;; esac

packages=(
  build-essential cmake ninja-build git pkg-config
  libtorch-dev libopenblas0-pthread          # LibTorch, on OpenBLAS (the reference BLAS is ~40x slower)
  libopenblas0-openmp                         # OpenBLAS sharing LibTorch's OpenMP pool: remix links it (CMakeLists)
  libgloo-dev                                 # headers of the Gloo c10d backend in LibTorch (data parallelism)
  libyaml-cpp-dev libboost-dev libsqlite3-dev sqlite3 libfmt-dev libcli11-dev nlohmann-json3-dev libssl-dev
  libpq-dev                                   # results stores on a PostgreSQL server
  libicu-dev                                  # Unicode character classes for real tokenizers
  postgresql                                  # the tests start throwaway PostgreSQL clusters
  libgtest-dev libgmock-dev libbenchmark-dev
  python3 bubblewrap                          # the code task runs samples with python3, sandboxed by bwrap
  python3-venv                                # tests/reference: the venv of the Python references (transformers, ...)
  python3-torch                               # tests/bench/reference_step.py: the Python step bench_vs_python times
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

# Reconfigures a build folder only when its test scope changes.
set_test_scope() {
  grep -qx "REMIX_TEST_SCOPE:STRING=$test_scope" "$1/CMakeCache.txt" ||
    cmake "$1" -DREMIX_TEST_SCOPE="$test_scope" >/dev/null
}

if [ "$torch_source" = debian ]; then
  if [ ! -f build/CMakeCache.txt ]; then
    cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release
  fi
  set_test_scope build
  cmake --build build -j"$(nproc)"
  exit 0
fi

# Another LibTorch: its folder first on CMake's prefix path, so that its libraries (not Debian's) are found.
if [ "$torch_source" = pip ]; then
  python=$(tests/reference/setup_env.sh)
  torch_dir=$("$python" -c 'import os, torch; print(os.path.dirname(torch.__file__))')
else
  torch_dir=$(cd "$torch_source" && pwd)
fi
[ -f "$torch_dir/share/cmake/Torch/TorchConfig.cmake" ] || {
  echo "setup: $torch_dir is not a LibTorch (no share/cmake/Torch/TorchConfig.cmake)" >&2; exit 2; }
cuda=()
if [ -x /usr/local/cuda/bin/nvcc ]; then
  cuda=(-DCUDAToolkit_ROOT=/usr/local/cuda -DCMAKE_CUDA_COMPILER=/usr/local/cuda/bin/nvcc)
fi
if [ ! -f build-torch2/CMakeCache.txt ]; then
  cmake -S . -B build-torch2 -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$torch_dir" "${cuda[@]}"
fi
set_test_scope build-torch2
cmake --build build-torch2 -j"$(nproc)"
