// Filling a Transformer by name (see weight_loading.h).
#include "model/weight_loading.h"

#include <fmt/format.h>
#include <fmt/ranges.h>  // fmt::join (fmt 11 keeps it here)

#include "remix/errors.h"

namespace remix::model {

void load_base_weights(TransformerImpl& model, const std::string& file,
                       const std::function<std::string(const BaseTensor&)>& name_of,
                       const WeightReader& reader) {
  torch::NoGradGuard no_grad;
  auto fill = [&](torch::Tensor& target, const BaseTensor& t) {
    const auto name = name_of(t);
    auto shape = reader.shape(name);
    if (!shape) throw DataError(fmt::format("{}: the checkpoint has no tensor '{}'", file, name));
    if (*shape != target.sizes().vec())
      throw DataError(fmt::format("{}: tensor '{}' has shape {} but the model's config needs {}", file, name,
                                  fmt::join(*shape, "x"), fmt::join(target.sizes(), "x")));
    reader.fill(name, target);
  };
  fill(model.embed->weight, {-1, "embed"});
  for (std::size_t i = 0; i < model.num_blocks(); ++i) {
    auto& b = model.block(i);
    const int l = static_cast<int>(i);
    fill(b.attn_norm->weight, {l, "attn_norm"});
    fill(b.ffn_norm->weight, {l, "ffn_norm"});
    std::pair<const char*, torch::nn::Linear*> linears[] = {{"q", &b.attn->q},      {"k", &b.attn->k},
                                                            {"v", &b.attn->v},      {"o", &b.attn->o},
                                                            {"gate", &b.ffn->gate}, {"up", &b.ffn->up},
                                                            {"down", &b.ffn->down}};
    for (auto& [name, lin] : linears) {
      fill((*lin)->weight, {l, fmt::format("{}.weight", name)});
      if ((*lin)->bias.defined()) fill((*lin)->bias, {l, fmt::format("{}.bias", name)});
    }
  }
  fill(model.norm->weight, {-1, "norm"});
  if (model.head) fill(model.head->weight, {-1, "head"});
}

}  // namespace remix::model
