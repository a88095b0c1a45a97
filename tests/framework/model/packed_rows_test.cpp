// Packed rows (model/packed_rows.h): rows grouped by their real span, the grid's round trip, and the training and
// scoring forward on packed rows — which a padded CPU batch always takes — giving each row the logits and the
// adapters' gradients it gets alone, unpadded, through the grid path (queries, keys and values per group, routers
// on the unpacked grid, q/k/v/o/gate/up/down all adapted).
#include <gtest/gtest.h>

#include "model/packed_rows.h"
#include "model/transformer.h"
#include "support/models.h"

namespace remix::model {
namespace {

torch::Tensor mask(const std::vector<std::vector<int>>& rows) {
  std::vector<std::int64_t> flat;
  for (const auto& r : rows) flat.insert(flat.end(), r.begin(), r.end());
  return torch::tensor(flat).view({static_cast<std::int64_t>(rows.size()), -1}).to(torch::kBool);
}

std::vector<std::int64_t> ints(const torch::Tensor& t) {
  auto c = t.contiguous();
  return {c.data_ptr<std::int64_t>(), c.data_ptr<std::int64_t>() + c.numel()};
}

TEST(PackedRows, GroupsRowsByRealSpanLongestFirstAndLeavesEmptyRowsOut) {
  auto valid = mask({{1, 1, 1, 0, 0, 0},    // span 3
                     {0, 0, 0, 0, 0, 0},    // no real token
                     {1, 1, 1, 1, 1, 1},    // span 6
                     {1, 1, 0, 0, 0, 0},    // span 2
                     {0, 1, 1, 1, 1, 1}});  // span 6, left-padded
  auto p = pack_rows(valid, 2);
  ASSERT_EQ(p.groups.size(), 2u);
  EXPECT_EQ(ints(p.groups[0].batch_rows), (std::vector<std::int64_t>{2, 4}));
  EXPECT_EQ(p.groups[0].length, 6);
  EXPECT_EQ(ints(p.groups[1].batch_rows), (std::vector<std::int64_t>{0, 3}));
  EXPECT_EQ(p.groups[1].length, 3);
  EXPECT_EQ(p.groups[0].offset, 0);
  EXPECT_EQ(p.groups[0].count, 11);
  EXPECT_EQ(p.groups[1].offset, 11);
  EXPECT_EQ(p.groups[1].count, 5);
  EXPECT_EQ(ints(p.groups[1].cells), (std::vector<std::int64_t>{0, 1, 2, 3, 4}));  // rows 0 and 3 in a 3-wide grid
  EXPECT_EQ(ints(p.index).size(), 16u);

  auto grid = torch::randn({5, 6, 3});
  auto rows = p.pack(grid);
  EXPECT_EQ(rows.size(0), 16);
  EXPECT_TRUE(torch::equal(p.unpack(rows), grid * valid.unsqueeze(-1)));
  for (const auto& g : p.groups) {
    auto group_rows = rows.narrow(0, g.offset, g.count);
    auto group_grid = p.unpack_group(g, group_rows);
    EXPECT_EQ(group_grid.sizes(), (std::vector<std::int64_t>{g.batch_rows.size(0), g.length, 3}));
    EXPECT_TRUE(torch::equal(p.pack_group(g, group_grid), group_rows));
  }
}

// Each row of a padded batch against the same row alone: logits at its real tokens, and the gradient every row's
// loss sends to the adapters (the batch's loss is the rows' sum, so its gradient is the sum of theirs).
TEST(PackedRows, APaddedBatchGivesEveryRowItsLogitsAndGradientsAlone) {
  auto model = test::tiny_model(3);
  auto mixture = adapter::attach_mixture(
      model,
      adapter::MixtureOptions().num_experts(4).top_k(2).r(2).targets(
          {Projection::Q, Projection::K, Projection::V, Projection::O, Projection::Gate, Projection::Up,
           Projection::Down}),
      test::router_source("softmax"));
  test::randomize_adapters(mixture);
  const std::vector<std::vector<std::int64_t>> seqs = {
      {5, 80, 120, 7, 33, 9, 14}, {61, 2, 99}, {17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27}, {44, 45}, {8, 9, 10, 11}};
  const std::int64_t T = 11, B = static_cast<std::int64_t>(seqs.size());
  auto tokens = torch::full({B, T}, 258, torch::kLong);
  auto valid = torch::zeros({B, T}, torch::kBool);
  for (std::int64_t b = 0; b < B; ++b)
    for (std::size_t t = 0; t < seqs[b].size(); ++t) {
      tokens[b][static_cast<std::int64_t>(t)] = seqs[b][t];
      valid[b][static_cast<std::int64_t>(t)] = true;
    }
  torch::manual_seed(0);
  auto probe = torch::randn({T, model->options().vocab_size()});  // the loss: logits · probe over real tokens
  auto params = mixture.adapter_parameters();
  for (const auto& p : mixture.router_parameters()) params.push_back(p);

  RoutingContext ctx;
  ctx.valid_mask = valid;
  auto logits = model->forward(tokens, ctx);
  auto loss = (logits * probe * valid.unsqueeze(-1)).sum();
  auto batch_grads = torch::autograd::grad({loss}, params);

  std::vector<torch::Tensor> alone_grads;
  for (std::int64_t b = 0; b < B; ++b) {
    const auto n = static_cast<std::int64_t>(seqs[b].size());
    auto alone = model->forward(torch::tensor(seqs[b]).unsqueeze(0));  // no padding: the grid path
    EXPECT_TRUE(torch::allclose(logits[b].narrow(0, 0, n), alone[0], 1e-5, 1e-5)) << "row " << b;
    auto grads = torch::autograd::grad({(alone[0] * probe.narrow(0, 0, n)).sum()}, params);
    for (std::size_t i = 0; i < grads.size(); ++i)
      alone_grads.size() <= i ? alone_grads.push_back(grads[i]) : void(alone_grads[i] = alone_grads[i] + grads[i]);
  }
  for (std::size_t i = 0; i < params.size(); ++i) {  // float rounding of sums in another order, nothing more
    const double scale = alone_grads[i].abs().max().item<double>();
    EXPECT_LE((batch_grads[i] - alone_grads[i]).abs().max().item<double>(), 1e-5 * scale) << "parameter " << i;
  }
  EXPECT_TRUE(torch::equal(logits.masked_select(valid.logical_not().unsqueeze(-1)),
                           torch::zeros({(B * T - valid.sum().item<std::int64_t>()) * logits.size(-1)})));
}

}  // namespace
}  // namespace remix::model
