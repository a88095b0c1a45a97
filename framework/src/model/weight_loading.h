// Filling a Transformer from a checkpoint whose tensors have other names (Hugging Face, GGUF): one walk over
// remix's base parameters, each asked of the checkpoint by the name its format gives it, shape-checked, converted
// to the parameter's dtype and copied in. The formats differ only in their naming function and reader.
#pragma once

#include <torch/torch.h>

#include <functional>
#include <optional>
#include <string>

#include "model/transformer.h"

namespace remix::model {

// One base parameter of a block, or of the model (layer < 0): "embed", "norm", "head", and per block
// "attn_norm", "ffn_norm", and the projections' "q.weight", "q.bias", ..., "down.weight".
struct BaseTensor {
  int layer = -1;
  std::string what;
};

// How a checkpoint gives its tensors: the shape of a name (nullopt when absent), and filling a float32 parameter of
// that shape in place (so that loading never holds a second copy of a large tensor).
struct WeightReader {
  std::function<std::optional<std::vector<std::int64_t>>(const std::string&)> shape;
  std::function<void(const std::string&, torch::Tensor&)> fill;
};

// Fills every base parameter of `model` from the tensor `name_of(t)`. DataError naming `file` and the tensor when
// it is missing or its shape differs.
void load_base_weights(TransformerImpl& model, const std::string& file,
                       const std::function<std::string(const BaseTensor&)>& name_of, const WeightReader& reader);

}  // namespace remix::model
