"""The reference remix's PEFT export is checked against: Hugging Face PEFT loads the exported adapters onto the
transformers model of the same base and computes logits (and a greedy continuation), written to a safetensors file
that remix's own reader reads back.

usage: reference_peft.py MODEL_DIR REQUEST.json OUT.safetensors
REQUEST.json: {"sequences": [[ids...], ...],
               "cases": [{"name": N, "adapters": {adapter_name: dir, ...}, "active": [adapter_name, ...],
                          "greedy_prompt": [ids...] (optional), "greedy_tokens": T}]}
OUT: base.I [len_I, vocab] (no adapter), N.I [len_I, vocab] with the case's adapters active together, each sequence
run alone; N.greedy [T] int64 when asked.
"""
import json
import sys

import torch
from peft import PeftModel
from safetensors.torch import save_file
from transformers import AutoModelForCausalLM


def logits_of(model, sequences, prefix, tensors):
    with torch.no_grad():
        for i, ids in enumerate(sequences):
            tensors[f"{prefix}.{i}"] = model(torch.tensor([ids])).logits[0].contiguous()


def greedy(model, prompt, steps):
    ids, new = torch.tensor([prompt]), []
    with torch.no_grad():
        for _ in range(steps):
            token = model(ids).logits[0, -1].argmax()
            new.append(int(token))
            ids = torch.cat([ids, token.view(1, 1)], dim=1)
    return torch.tensor(new, dtype=torch.int64)


def main():
    model_dir, request_path, out = sys.argv[1:4]
    request = json.load(open(request_path))
    tensors = {}
    base = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32, attn_implementation="eager")
    base.eval()
    logits_of(base, request["sequences"], "base", tensors)
    for case in request["cases"]:
        names = list(case["adapters"])
        model = PeftModel.from_pretrained(base, case["adapters"][names[0]], adapter_name=names[0])
        for name in names[1:]:
            model.load_adapter(case["adapters"][name], adapter_name=name)
        model.base_model.set_adapter(case["active"])  # several active adapters add their outputs
        model.eval()
        logits_of(model, request["sequences"], case["name"], tensors)
        if "greedy_prompt" in case:
            tensors[f"{case['name']}.greedy"] = greedy(model, case["greedy_prompt"], case["greedy_tokens"])
        base = model.unload()  # the plain transformers model again, for the next case
        del base.peft_config
    save_file(tensors, out)


if __name__ == "__main__":
    main()
