#!/usr/bin/env bash
# Installs the test-time references remix is checked against — Hugging Face transformers, tokenizers, PEFT,
# safetensors, gguf, MoE-PEFT (MixLoRA's authors' code), on PyPI's torch — into a virtual environment outside the
# repository, and prints its python.
# Other people wrote these; remix's own build and main job never need them. Idempotent: a venv whose stamp matches
# the pinned versions below is reused, so only the first run downloads (torch with its CUDA libraries, ~4 GB).
# Used by ctest's "reference_env" fixture and by tests/reference/fetch_smollm2.sh.
set -euo pipefail

cache="${REMIX_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/remix}"
venv="$cache/reference-venv"
pins=(torch==2.9.1 transformers==4.57.1 tokenizers==0.22.1 peft==0.17.1 safetensors==0.6.2 gguf==0.17.1
      numpy==2.3.4 sentencepiece==0.2.1 protobuf==6.33.0
      huggingface_hub==0.36.2 accelerate==1.15.0 datasets==4.8.5 evaluate==0.4.6 scikit-learn==1.9.1 tiktoken==0.14.0)
# MoE-PEFT declares torch<2.6 and transformers<4.47 and would pull a second torch; it goes in without its
# dependencies (the ones its imports need are pinned above). Its MixLoRA path runs unchanged on the torch and
# transformers above: tests/reference/reference_mixlora.py uses it as published, and fails loudly if that breaks.
no_deps=(moe-peft==2.0.2)
stamp="${pins[*]} ${no_deps[*]}"

# One installer at a time: ctest's fixture and `setup.sh --torch pip` may ask at once (CI builds the 2.x tree while
# the tests run), and a second one would delete the venv the first is filling.
mkdir -p "$cache"
exec 9>"$cache/reference-venv.lock"
flock 9
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
"$python" -m venv "$venv" >&2
"$venv/bin/pip" install --quiet --disable-pip-version-check "${pins[@]}" >&2
"$venv/bin/pip" install --quiet --disable-pip-version-check --no-deps "${no_deps[@]}" >&2
echo "$stamp" > "$venv/.remix-stamp"
echo "$venv/bin/python"
