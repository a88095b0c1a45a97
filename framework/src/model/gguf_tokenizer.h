// The tokenizer embedded in a GGUF file, read into a TokenizerPipeline as llama.cpp runs it:
// tokenizer.ggml.model `gpt2` (byte-level BPE with merges, split by the patterns tokenizer.ggml.pre names) or
// `llama` (SentencePiece-style BPE by piece scores, "▁" for spaces with a dummy prefix, <0xXX> byte fallback);
// token types mark control and user-defined tokens (split out of the text like tokenizer.json's added tokens);
// bos/eos/unk/pad ids and add_bos_token from the metadata. Other models or pre-tokenizers: a DataError naming them.
#pragma once

#include <memory>

#include "model/gguf_file.h"
#include "model/pipeline_tokenizer.h"

namespace remix::model {

std::shared_ptr<PipelineTokenizer> load_gguf_tokenizer(const GgufFile& file);

}  // namespace remix::model
