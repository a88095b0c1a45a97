"""The reference remix's real-model loaders are checked against: Hugging Face transformers runs a model folder on
token ids and writes what it computed to a safetensors file (written by the safetensors package, read back by
remix's own reader).

usage: reference_logits.py MODEL_DIR REQUEST.json OUT.safetensors
REQUEST.json: {"sequences": [[ids...], ...], "greedy_prompt": [ids...], "greedy_tokens": N,
               "bf16_matrices": false (optional: every weight matrix rounded to bfloat16, computed in float32)}
OUT: logits.I [len_I, vocab] float32 for each sequence, run alone (no padding); greedy [N] int64, the greedy
continuation of greedy_prompt.
"""
import json
import sys

import torch
from safetensors.torch import save_file
from transformers import AutoModelForCausalLM


def main():
    model_dir, request_path, out = sys.argv[1:4]
    request = json.load(open(request_path))
    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32, attn_implementation="eager")
    model.eval()
    if request.get("bf16_matrices"):
        with torch.no_grad():
            for p in model.parameters():
                if p.dim() == 2:
                    p.copy_(p.to(torch.bfloat16).to(torch.float32))
    tensors = {}
    with torch.no_grad():
        for i, ids in enumerate(request["sequences"]):
            tensors[f"logits.{i}"] = model(torch.tensor([ids])).logits[0].contiguous()
        # A plain argmax loop: generate() would suppress EOS under min_new_tokens, and remix does not stop either.
        ids = torch.tensor([request["greedy_prompt"]])
        new = []
        for _ in range(request["greedy_tokens"]):
            token = model(ids).logits[0, -1].argmax()
            new.append(int(token))
            ids = torch.cat([ids, token.view(1, 1)], dim=1)
        tensors["greedy"] = torch.tensor(new, dtype=torch.int64)
    save_file(tensors, out)


if __name__ == "__main__":
    main()
