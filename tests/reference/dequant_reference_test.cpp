// remix's dequantization against the gguf Python package's (tests/reference/reference_dequant.py): for F16, BF16,
// Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K and Q6_K, the values remix reads from the quantized tensor equal the
// package's dequantization of the same bytes, stored beside it as F32 in the same file.
#include <gtest/gtest.h>

#include "model/gguf_file.h"
#include "support/reference_data.h"
#include "support/test_env.h"

namespace remix::model {
namespace {

TEST(DequantReference, EveryTypeEqualsTheGgufPackage) {
  test::TempDir tmp;
  auto path = tmp.file("dequant.gguf");
  auto run = test::run_command(
      {test::reference_python(), test::source_dir() + "/tests/reference/reference_dequant.py", path});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  GgufFile f(path);
  int checked = 0;
  for (const auto& t : f.tensors()) {
    if (t.name.rfind("q.", 0) != 0) continue;
    const auto type = t.name.substr(2);
    auto got = f.tensor(t.name);
    auto expected = f.tensor("expected." + type);
    ASSERT_EQ(got.sizes(), expected.sizes()) << type;
    EXPECT_TRUE(torch::allclose(got, expected, 0, 1e-6)) << type << ": max difference "
                                                          << (got - expected).abs().max().item<float>();
    ++checked;
  }
  EXPECT_EQ(checked, 10);
}

}  // namespace
}  // namespace remix::model
