// Packing a padded batch into its real tokens (see packed_rows.h).
#include "model/packed_rows.h"

#include <algorithm>
#include <numeric>

namespace remix::model {

namespace {

// [M, ...] rows scattered into a zero [cells, ...] grid at `index`.
torch::Tensor scatter_rows(const torch::Tensor& rows, const torch::Tensor& index, std::int64_t cells) {
  auto shape = rows.sizes().vec();
  shape[0] = cells;
  return torch::zeros(shape, rows.options()).index_copy(0, index, rows);
}

torch::Tensor gather_rows(const torch::Tensor& grid, std::int64_t leading_dims, const torch::Tensor& index) {
  auto rest = grid.sizes().slice(static_cast<std::size_t>(leading_dims)).vec();
  rest.insert(rest.begin(), -1);
  return grid.reshape(rest).index_select(0, index);
}

torch::Tensor as_grid(const torch::Tensor& flat, std::int64_t rows, std::int64_t columns) {
  auto shape = flat.sizes().vec();
  shape.erase(shape.begin());
  shape.insert(shape.begin(), {rows, columns});
  return flat.view(shape);
}

torch::Tensor int64(const std::vector<std::int64_t>& v) {
  return torch::from_blob(const_cast<std::int64_t*>(v.data()), {static_cast<std::int64_t>(v.size())}, torch::kLong)
      .clone();
}

}  // namespace

torch::Tensor PackedRows::pack(const torch::Tensor& grid) const { return gather_rows(grid, 2, index); }

torch::Tensor PackedRows::unpack(const torch::Tensor& rows) const {
  return as_grid(scatter_rows(rows, index, batch * length), batch, length);
}

torch::Tensor PackedRows::unpack_group(const AttentionGroup& g, const torch::Tensor& rows) const {
  return as_grid(scatter_rows(rows, g.cells, g.batch_rows.size(0) * g.length), g.batch_rows.size(0), g.length);
}

torch::Tensor PackedRows::pack_group(const AttentionGroup& g, const torch::Tensor& grid) const {
  return gather_rows(grid, 2, g.cells);
}

PackedRows pack_rows(const torch::Tensor& valid, std::int64_t max_groups) {
  auto mask = valid.to(torch::kCPU, torch::kBool).contiguous();
  const auto B = mask.size(0), T = mask.size(1);
  auto m = mask.accessor<bool, 2>();
  std::vector<std::int64_t> span(static_cast<std::size_t>(B), 0), order;
  for (std::int64_t b = 0; b < B; ++b) {
    for (std::int64_t t = T; t > 0; --t)
      if (m[b][t - 1]) {
        span[static_cast<std::size_t>(b)] = t;
        break;
      }
    if (span[static_cast<std::size_t>(b)] > 0) order.push_back(b);
  }
  auto span_of = [&](std::int64_t b) { return span[static_cast<std::size_t>(b)]; };
  std::stable_sort(order.begin(), order.end(), [&](std::int64_t a, std::int64_t b) { return span_of(a) > span_of(b); });

  PackedRows p;
  p.batch = B, p.length = T;
  std::vector<std::int64_t> index;
  const auto rows = static_cast<std::int64_t>(order.size());
  const auto n_groups = std::min<std::int64_t>(std::max<std::int64_t>(max_groups, 1), rows);
  for (std::int64_t g = 0; g < n_groups; ++g) {
    const auto first = g * rows / n_groups, last = (g + 1) * rows / n_groups;
    AttentionGroup group;
    group.offset = static_cast<std::int64_t>(index.size());
    group.length = span[static_cast<std::size_t>(order[static_cast<std::size_t>(first)])];
    std::vector<std::int64_t> members, cells;
    for (auto j = first; j < last; ++j) {
      const auto b = order[static_cast<std::size_t>(j)];
      members.push_back(b);
      for (std::int64_t t = 0; t < group.length; ++t)
        if (m[b][t]) {
          cells.push_back((j - first) * group.length + t);
          index.push_back(b * T + t);
        }
    }
    group.count = static_cast<std::int64_t>(cells.size());
    group.batch_rows = int64(members).to(valid.device());
    group.cells = int64(cells).to(valid.device());
    p.groups.push_back(std::move(group));
  }
  p.index = int64(index).to(valid.device());
  return p;
}

}  // namespace remix::model
