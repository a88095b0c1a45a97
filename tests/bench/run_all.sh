#!/bin/sh
# Every benchmark of tests/bench in one command, one after the other (never at once: each measures the whole
# machine): the mixture layer and step ratios, the training step per router with ReMix(M) against M softmax
# steps, eval generation tokens/s and MFU against an sgemm of the same run, the SQLite logging rate, and the
# results store's claims and metric rows per second on SQLite and on a PostgreSQL server, and one multitask
# preview against one real multitask trial, loading a real 135M model from GGUF and from safetensors, its
# finetuning step, one trial on 1 and 2 data-parallel ranks, and remix's finetuning step against a plain PyTorch
# script of it (tests/bench/reference_step.py; needs Debian's python3-torch, which setup.sh installs).
#   tests/bench/run_all.sh [build dir]        (default: build)
set -e
bench="${1:-build}/tests/bench"
for b in bench_mixture bench_train bench_recorder bench_store bench_preview bench_load bench_real_step \
         bench_data_parallel bench_vs_python; do
  [ -x "$bench/$b" ] || { echo "run_all.sh: $bench/$b not built (cmake --build ${1:-build})" >&2; exit 2; }
done
"$bench/bench_mixture"
echo
"$bench/bench_train"
echo
"$bench/bench_recorder"
echo
"$bench/bench_store"
echo
"$bench/bench_preview"
echo
"$bench/bench_load"
echo
"$bench/bench_real_step"
echo
"$bench/bench_data_parallel"
echo
"$bench/bench_vs_python"
