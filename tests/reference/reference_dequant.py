"""Quantized tensors of every type remix dequantizes, with the gguf Python package's own dequantization of the same
bytes beside them, in one GGUF file written by the package's GGUFWriter.

usage: reference_dequant.py OUT.gguf
Tensors: "q.TYPE" [3, 512] stored as TYPE, and "expected.TYPE" [3, 512] F32 = gguf.quants.dequantize of its bytes.
Legacy types and BF16 are quantized from random values by the package; it cannot quantize k-quants, so their blocks
are random bytes with their fp16 scales set to finite values.
"""
import sys

import numpy as np
from gguf import GGMLQuantizationType as Q
from gguf import GGUFWriter, quants
from gguf.constants import GGML_QUANT_SIZES


def main():
    rng = np.random.default_rng(7)
    writer = GGUFWriter(sys.argv[1], "remix-dequant-test")
    rows, cols = 3, 512
    for t in [Q.F16, Q.BF16, Q.Q8_0, Q.Q4_0, Q.Q4_1, Q.Q5_0, Q.Q5_1, Q.Q4_K, Q.Q5_K, Q.Q6_K]:
        values = rng.standard_normal((rows, cols)).astype(np.float32)
        if t in (Q.Q4_K, Q.Q5_K, Q.Q6_K):
            block_values, block_bytes = GGML_QUANT_SIZES[t]
            blocks = rng.integers(0, 256, size=(rows, cols // block_values, block_bytes), dtype=np.uint8)
            scale = lambda: np.frombuffer(np.float16(rng.uniform(0.001, 0.1)).tobytes(), np.uint8)
            for r in range(rows):
                for b in range(cols // block_values):
                    if t == Q.Q6_K:
                        blocks[r, b, 208:210] = scale()
                    else:
                        blocks[r, b, 0:2] = scale()
                        blocks[r, b, 2:4] = scale()
            raw = blocks.reshape(rows, -1)
        elif t == Q.F16:
            raw = values.astype(np.float16).view(np.uint8).reshape(rows, -1)
        else:
            raw = quants.quantize(values, t)
        expected = quants.dequantize(raw, t).astype(np.float32)
        writer.add_tensor(f"q.{t.name}", raw, raw_shape=raw.shape, raw_dtype=t)
        writer.add_tensor(f"expected.{t.name}", expected)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


if __name__ == "__main__":
    main()
