#!/usr/bin/env bash
# Everything the reference tests need, fetched once into the cache (ctest's reference_models fixture runs this
# before those tests): the Python references' venv, SmolLM2 (GGUF and its transformers conversion), llama.cpp's
# test vocabularies.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
"$here/setup_env.sh" >/dev/null
"$here/fetch_smollm2.sh" >/dev/null
"$here/fetch_llama_vocabs.sh" >/dev/null
echo "reference data ready"
