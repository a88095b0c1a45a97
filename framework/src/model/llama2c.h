// Loading llama2.c checkpoints (`base.source: llama2c`, docs/architecture.md §6): the legacy float32 export of
// llama2.c's export.py (version 0), as run.c reads it.
//
// Layout: a header of 7 int32 (dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len; a negative
// vocab_size means the output head is stored separately, untied), then float32 arrays: token embedding
// [vocab, dim], attention RMSNorm weights [L, dim], wq [L, dim, dim], wk [L, kv_dim, dim], wv [L, kv_dim, dim],
// wo [L, dim, dim], FFN RMSNorm weights [L, dim], w1 (gate) [L, hidden, dim], w2 (down) [L, dim, hidden],
// w3 (up) [L, hidden, dim], final RMSNorm [dim], two unused RoPE tables [seq_len, head_dim/2], and the head
// [vocab, dim] when untied. RMSNorm eps 1e-5 and RoPE theta 10000 are run.c's constants.
#pragma once

#include <string>

#include "model/transformer.h"

namespace remix::model {

// The shape a checkpoint's header describes. Throws DataError naming the file: unreadable, a llama2.c
// version-1/2 export (other format), impossible header, or a file size that does not match the header.
TransformerOptions read_llama2c_header(const std::string& path);

// A new Transformer holding the checkpoint's weights. Its tokenizer.bin is read by BpeTokenizer::load.
Transformer load_llama2c(const std::string& path);

}  // namespace remix::model
