#!/usr/bin/env bash
# Installs the test-time references remix is checked against — Hugging Face transformers, tokenizers, PEFT,
# safetensors, gguf, on PyPI's torch — into a virtual environment outside the repository, and prints its python.
# Other people wrote these; remix's own build and main job never need them. Idempotent: a venv whose stamp matches
# the pinned versions below is reused, so only the first run downloads (torch with its CUDA libraries, ~4 GB).
# Used by ctest's "reference_env" fixture and by tests/reference/fetch_smollm2.sh.
set -euo pipefail

cache="${REMIX_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/remix}"
venv="$cache/reference-venv"
pins=(torch==2.9.1 transformers==4.57.1 tokenizers==0.22.1 peft==0.17.1 safetensors==0.6.2 gguf==0.17.1
      numpy==2.3.4 sentencepiece==0.2.1 protobuf==6.33.0)
stamp="${pins[*]}"

if [ -x "$venv/bin/python" ] && [ "$(cat "$venv/.remix-stamp" 2>/dev/null)" = "$stamp" ]; then
  echo "$venv/bin/python"
  exit 0
fi

python=/usr/bin/python3
if ! "$python" -m venv --help >/dev/null 2>&1; then
  echo "reference env: $python has no venv module (Debian: apt-get install python3-venv)" >&2
  exit 2
fi
rm -rf "$venv"
mkdir -p "$cache"
"$python" -m venv "$venv" >&2
"$venv/bin/pip" install --quiet --disable-pip-version-check "${pins[@]}" >&2
echo "$stamp" > "$venv/.remix-stamp"
echo "$venv/bin/python"
