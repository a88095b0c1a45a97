#!/usr/bin/env bash
# Fuzzes the safetensors and GGUF readers with libFuzzer (clang, AddressSanitizer + UBSan) for SECONDS each
# (default 120), starting from and adding to the kept corpus in tests/fuzz/corpus/{safetensors,gguf}. New inputs
# libFuzzer finds go into the corpus folder; the normal test suite replays every kept input
# (tests/framework/model/fuzz_corpus_test.cpp). Not part of the build: run by hand after changing a reader.
#   tests/fuzz/run.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds="${1:-120}"
out=build/fuzz
mkdir -p "$out"
torch_include=(-isystem /usr/include/torch/csrc/api/include)
sources=(framework/src/model/mapped_file.cpp framework/src/model/safetensors.cpp framework/src/model/gguf_file.cpp
         framework/src/model/ggml_quants.cpp framework/src/model/gguf_tokenizer.cpp framework/src/model/bpe_model.cpp
         framework/src/model/pipeline_tokenizer.cpp framework/src/model/pretokenizer.cpp
         framework/src/model/unicode_text.cpp framework/src/common/atomic_file.cpp tests/fuzz/read_untrusted.cpp)
flags=(-std=c++17 -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=undefined -Iframework/src
       -Iframework/include "${torch_include[@]}" -D_GLIBCXX_USE_CXX11_ABI=1)
libs=(-ltorch -ltorch_cpu -lc10 -lfmt -licuuc)
objects=()
for src in "${sources[@]}"; do  # instrumented once (coverage for the fuzzer), reused by both targets
  obj="$out/$(basename "$src" .cpp).o"
  [ "$obj" -nt "$src" ] || clang++ "${flags[@]}" -fsanitize=fuzzer-no-link -c "$src" -o "$obj"
  objects+=("$obj")
done
for format in safetensors gguf; do
  define=()
  [ "$format" = gguf ] && define=(-DREMIX_FUZZ_GGUF)
  clang++ "${flags[@]}" -fsanitize=fuzzer "${define[@]}" tests/fuzz/fuzz_target.cpp "${objects[@]}" "${libs[@]}" \
    -o "$out/fuzz_$format"
  mkdir -p "tests/fuzz/corpus/$format"
  "$out/fuzz_$format" -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=4096 "tests/fuzz/corpus/$format"
done
