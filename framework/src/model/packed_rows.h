// A forward without its padding. A batch padded to its longest row computes a third of its tokens for nothing at
// the quickstart's size; on the CPU a training or scoring forward therefore carries only its real tokens, as N
// rows, through every per-token product (projections, adapters, norms, the output head). Attention, which needs
// sequences, runs per group of rows of similar length, each group cut to its longest row, so it too skips most of
// the padding; routers, whose interface is the [B, T] grid, see the grid (RoutingSite unpacks and packs).
// Rows are grouped by their real span, so a group's tokens are contiguous among the N rows.
#pragma once

#include <torch/torch.h>

#include <vector>

namespace remix::model {

struct AttentionGroup {
  torch::Tensor batch_rows;            // [B_g] int64: the batch's rows in this group
  std::int64_t length = 0;             // T_g: the longest real span among them; columns past it are dropped
  std::int64_t offset = 0, count = 0;  // the group's tokens are packed rows [offset, offset + count)
  torch::Tensor cells;                 // [count] int64: those tokens' cells in the [B_g, T_g] grid, row-major
};

struct PackedRows {
  torch::Tensor index;  // [N] int64: each packed row's cell in the [B, T] grid (row-major)
  std::int64_t batch = 0, length = 0;
  std::vector<AttentionGroup> groups;

  torch::Tensor pack(const torch::Tensor& grid) const;    // [B,T,...] -> [N,...]
  torch::Tensor unpack(const torch::Tensor& rows) const;  // [N,...] -> [B,T,...], padding cells zero
  // Group g's rows [count, ...] -> its grid [B_g, T_g, ...] (padding cells zero), and back.
  torch::Tensor unpack_group(const AttentionGroup& g, const torch::Tensor& rows) const;
  torch::Tensor pack_group(const AttentionGroup& g, const torch::Tensor& grid) const;
};

// The packing of a [B, T] mask of real tokens (read on the CPU): rows sorted by real span (last real column + 1),
// longest first, split into at most `max_groups` groups of equal size; rows without real tokens are left out.
PackedRows pack_rows(const torch::Tensor& valid, std::int64_t max_groups = 4);

}  // namespace remix::model
