// Where the reference tests find what tests/reference/fetch.sh put in the cache: the Python venv with
// transformers/tokenizers/PEFT, SmolLM2-135M (GGUF and Hugging Face folder), llama.cpp's test vocabularies. Each
// getter runs its (idempotent) script once per process and throws with the script's stderr when it fails.
#pragma once

#include <string>

namespace remix::test {

std::string reference_python();
std::string smollm2_dir();  // holds SmolLM2-135M-Instruct.Q4_1.gguf and hf/
std::string llama_vocab_dir();

}  // namespace remix::test
