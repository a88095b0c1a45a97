// Hugging Face tokenizer.json (with tokenizer_config.json beside it) read into a TokenizerPipeline: the BPE model,
// the normalizers, pre-tokenizers and decoders the supported families use (GPT-2 / SmolLM / Llama-3 / Qwen2
// byte-level BPE; Llama-2 / Mistral / Phi-3 SentencePiece-style BPE with byte fallback), added and special tokens.
// A component or setting outside that set is a DataError naming the file and the component — a tokenizer that
// silently ran differently from the model's would corrupt every number downstream.
#pragma once

#include <memory>
#include <string>

#include "model/pipeline_tokenizer.h"

namespace remix::model {

// `path` is a tokenizer.json file; tokenizer_config.json beside it, when present, gives bos/eos/pad and
// add_bos_token.
std::shared_ptr<PipelineTokenizer> load_tokenizer_json(const std::string& path);

}  // namespace remix::model
