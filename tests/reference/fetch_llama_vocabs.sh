#!/usr/bin/env bash
# Fetches llama.cpp's tokenizer test vocabularies with their golden token ids (models/ggml-vocab-*.gguf and
# .gguf.inp/.gguf.out, MIT) and the chat templates of real models llama.cpp tests with (models/templates/*.jinja, as
# the models' publishers wrote them) from the source distribution of the PyPI package llama-cpp-python 0.3.16, which
# vendors llama.cpp, into a cache outside the repository. (The copies in ../shared/models/vocab have been through
# a text conversion that replaced non-UTF-8 bytes by U+FFFD, so their GGUF files no longer parse; their .inp/.out
# are byte-identical to these.) Prints the folder.
set -euo pipefail
cache="${REMIX_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/remix}"
dir="$cache/llama-vocabs"
names=(gpt-2 llama-bpe llama-spm phi-3 qwen2)
if [ -f "$dir/.remix-done-2" ]; then  # -2: the templates were added
  echo "$dir"
  exit 0
fi
python=/usr/bin/python3
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
# The sdist straight from PyPI's simple index (pip download would build the package's metadata: minutes), checked
# against the sha256 the index publishes.
"$python" - "$tmp/llama_cpp_python-0.3.16.tar.gz" <<'PY'
import hashlib, re, sys, urllib.request
index = urllib.request.urlopen("https://pypi.org/simple/llama-cpp-python/", timeout=60).read().decode()
url = next(u for u in re.findall(r'href="([^"]+)"', index) if "llama_cpp_python-0.3.16.tar.gz" in u)
url, digest = url.split("#sha256=")
data = urllib.request.urlopen(url, timeout=600).read()
if hashlib.sha256(data).hexdigest() != digest:
    sys.exit("llama-cpp-python 0.3.16 sdist: sha256 mismatch")
open(sys.argv[1], "wb").write(data)
PY
mkdir -p "$dir"
members=()
for n in "${names[@]}"; do
  for ext in gguf gguf.inp gguf.out; do members+=("llama_cpp_python-0.3.16/vendor/llama.cpp/models/ggml-vocab-$n.$ext"); done
done
members+=("llama_cpp_python-0.3.16/vendor/llama.cpp/models/templates")
tar -xzf "$tmp/llama_cpp_python-0.3.16.tar.gz" -C "$tmp" "${members[@]}"
cp "$tmp"/llama_cpp_python-0.3.16/vendor/llama.cpp/models/ggml-vocab-* "$dir/"
rm -rf "$dir/templates"
cp -r "$tmp"/llama_cpp_python-0.3.16/vendor/llama.cpp/models/templates "$dir/templates"
cp "$tmp"/llama_cpp_python-0.3.16/vendor/llama.cpp/LICENSE "$dir/LICENSE.llama.cpp-MIT" 2>/dev/null || true
touch "$dir/.remix-done-2"
echo "$dir"
