// GGUF models (`base.source: gguf`): llama.cpp's metadata read into TransformerOptions and its tensors,
// dequantized, mapped onto remix's modules. Architectures `llama` (Llama, Mistral, SmolLM2, TinyLlama) and `qwen2`.
//
// llama.cpp's converter permutes the rows of the Llama q and k projections so that its rotary embedding can turn
// adjacent pairs; remix undoes that permutation and runs the Hugging Face layout (halves), so a GGUF model and its
// Hugging Face original compute the same thing in the same basis — which PEFT export relies on.
#pragma once

#include <string>

#include "model/gguf_file.h"
#include "model/transformer.h"

namespace remix::model {

// The model's options from the metadata; DataError naming the file and key for what remix cannot run.
TransformerOptions gguf_transformer_options(const GgufFile& file);

// The model of the file in float32, weights dequantized and loaded.
Transformer load_gguf_model(const GgufFile& file);

// llama.cpp's q/k row order -> Hugging Face's, for a [heads * head_dim, ...] weight or bias.
torch::Tensor unpermute_llama_rows(const torch::Tensor& w, std::int64_t heads);

}  // namespace remix::model
