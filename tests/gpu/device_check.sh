#!/usr/bin/env bash
# The GPU checks, on a lent device machine (an H200 with PyTorch 2.x, CMake, ninja and nvcc; never CI): builds remix
# against that machine's LibTorch with the Debian libraries carried as .deb files, runs the CUDA tests (CPU against
# CUDA logits and gradients, bfloat16, a whole tiny trial on CUDA, one NCCL rank) and the GPU benchmark, and writes
# the logs to $OUT.
#   here:    tests/gpu/fetch_debs.sh
#   device:  run(command="tests/gpu/device_check.sh", carry=[".gpu-debs"], timeout_s=540)
# Budget: ~3 minutes to build on 16 cores, ~1 minute of tests, ~1 minute of benchmark.
set -uo pipefail
out=${OUT:-/tmp/remix-gpu-out}
mkdir -p "$out"
root=/tmp/debroot
mkdir -p "$root"
for f in .gpu-debs/*.deb; do dpkg -x "$f" "$root"; done
export LD_LIBRARY_PATH="$root/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
torch_prefix=$(python3 -c 'import torch.utils; print(torch.utils.cmake_prefix_path)')
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | tee "$out/gpu.txt"
python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda)' | tee -a "$out/gpu.txt"

build=/tmp/build-gpu
includes="-isystem $root/usr/include -isystem $root/usr/include/x86_64-linux-gnu"
{
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$torch_prefix;$root/usr" \
        -DCMAKE_CUDA_COMPILER="$(command -v nvcc)" -DCMAKE_CXX_FLAGS="$includes" &&
  cmake --build "$build" -j"$(nproc)" --target remix remix_tests bench_cuda
} > "$out/build.log" 2>&1
status=$?
tail -20 "$out/build.log"
[ $status -eq 0 ] || { echo "device_check: the build failed (build.log)"; exit 1; }

# The CUDA tests and the tests of what they touch (steps, checkpoints, devices, the trial path).
filter='CudaStep.*:TrainStep.*:FrozenWeights.*:GradClip.*:PolicyGradient.*:Trial.ATinyTrialRunsOnCuda*'
filter+=':Trial.ADevice*:Trial.TinyRunLearns*:Trial.SigtermCheckpoints*:GradientPaths.*'
filter+=':DataParallel.Nccl*:RankDevice.*'  # one NCCL rank (one GPU cannot hold two); GPU ranks' devices
"$build/tests/remix_tests" --gtest_filter="$filter" 2>&1 | tee "$out/tests.log" |
  grep -E "^\[ *(OK|FAILED|SKIPPED|PASSED) "
tests=${PIPESTATUS[0]}
"$build/tests/bench/bench_cuda" 2>&1 | tee "$out/bench_cuda.txt"
echo "device_check: tests exit $tests"
exit "$tests"
