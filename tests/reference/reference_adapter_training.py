"""The references remix's adapters are trained against, with remix's own adapter weights on a small transformers
Llama: MoE-PEFT 2.0.2 (PyPI moe-peft, the MixLoRA authors' training code) runs its MixLoRA adapter ("mixlora"
routing: softmax over the experts, top-k renormalised, LoRA experts on gate/up/down mixed as whole FFNs, the
load-balancing loss over all layers' router logits), and Hugging Face PEFT runs a plain LoRA. Each writes the logits
and the gradients remix must reproduce.

usage: reference_adapter_training.py make MODEL_DIR
         a small random LlamaForCausalLM (seeded) saved as a Hugging Face folder.
       reference_adapter_training.py mixlora|lora MODEL_DIR REQUEST.json WEIGHTS.safetensors OUT.safetensors
REQUEST.json: {"tokens": [[ids...]...], "masks": [[1|0...]...] (rows padded on the right to one length),
               "r": r, "lora_alpha": a, "target_modules": [...],
               mixlora only: "num_experts": n, "top_k": k, "router_aux_loss_coef": c}
WEIGHTS: the adapter weights under the reference's own names — MoE-PEFT's ("mixlora.layers.L.mlp.moe_gate.weight",
         "mixlora.layers.L.mlp.gate_proj.experts.E.lora_A.weight", ...) or PEFT's without the adapter name
         ("base_model.model.model.layers.L.mlp.gate_proj.lora_A.weight") — and "probe" [B,T,V].
OUT: "logits" [B,T,V], "aux_loss" [] (mixlora) and, for the objective sum(logits * probe * mask) (+ aux_loss), "grad.NAME"
for every adapter weight NAME.
"""
import json
import sys

import torch


def make(model_dir):
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(1234)
    config = LlamaConfig(vocab_size=96, hidden_size=32, intermediate_size=48, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=64,
                         rms_norm_eps=1e-5, rope_theta=10000.0, tie_word_embeddings=False, bos_token_id=1,
                         eos_token_id=2, initializer_range=0.2)
    LlamaForCausalLM(config).save_pretrained(model_dir, safe_serialization=True)


def objective_and_gradients(logits, aux_loss, probe, masks, params, out_path):
    from safetensors.torch import save_file

    mask = torch.tensor(masks, dtype=torch.float32).unsqueeze(-1)
    objective = (logits * probe * mask).sum()
    if aux_loss is not None:
        objective = objective + aux_loss
    objective.backward()
    tensors = {"logits": logits.detach().contiguous()}
    if aux_loss is not None:
        tensors["aux_loss"] = aux_loss.detach().reshape([])
    for name, p in params.items():
        tensors[f"grad.{name}"] = p.grad.detach().contiguous()
    save_file(tensors, out_path)


def check_names(ours, theirs):
    differ = sorted(set(ours) ^ set(theirs))
    if differ:
        raise SystemExit(f"adapter names differ between remix's weights and the reference's: {differ[:6]}")


def mixlora(model_dir, request, weights, probe, out_path):
    import moe_peft
    from moe_peft.adapters import lora_config_factory

    model = moe_peft.LLMModel.from_pretrained(model_dir, device="cpu", load_dtype=torch.float32,
                                              compute_dtype=torch.float32)
    alpha = request["lora_alpha"]
    if alpha != int(alpha):
        raise SystemExit(f"MoE-PEFT takes an integer lora_alpha, got {alpha}")
    config = lora_config_factory({
        "name": "mix", "task_name": "casual", "r": request["r"], "lora_alpha": int(alpha),
        # MoE-PEFT refuses a LoRA dropout of 0; the dropout layers are switched off below (both sides run without).
        "lora_dropout": 0.05, "target_modules": {name: True for name in request["target_modules"]},
        "routing_strategy": "mixlora", "num_experts": request["num_experts"], "top_k": request["top_k"],
        "router_aux_loss_coef": request["router_aux_loss_coef"], "jitter_noise": 0.0})
    model.init_adapter(config, {name: w.clone() for name, w in weights.items()})
    # MoE-PEFT keeps its LoRA modules in plain dicts (not registered submodules): reach them as it does.
    switched_off = 0
    for layer in model.model_.layers_:
        attn, mlp = layer.state_dict()
        for projection in list(attn.values()) + list(mlp.values()):
            for lora_module in projection.loras_.values():
                lora_module.dropout_.p = 0.0
                switched_off += 1
    if switched_off == 0:
        raise SystemExit("found no MoE-PEFT LoRA module to switch its dropout off")
    params = model.get_adapter_weight_dict("mix")
    check_names(weights, params)
    for p in params.values():
        p.requires_grad_(True)
    tokens, masks = request["tokens"], request["masks"]
    batch = moe_peft.LLMModelInput(
        batch_configs_=[moe_peft.LLMBatchConfig(adapter_name_="mix", batch_start_idx_=0,
                                                batch_end_idx_=len(tokens))],
        batch_tokens_=tokens, batch_labels_=tokens, batch_masks_=masks, inference_mode_=False)
    out = model.forward(batch)[0]
    objective_and_gradients(out.logits, out.aux_loss, probe, masks, params, out_path)


def lora(model_dir, request, weights, probe, out_path):
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    base = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32, attn_implementation="eager")
    model = get_peft_model(base, LoraConfig(r=request["r"], lora_alpha=request["lora_alpha"], lora_dropout=0.0,
                                            target_modules=request["target_modules"]))
    params = {name.replace(".default", ""): p for name, p in model.named_parameters() if p.requires_grad}
    check_names(weights, params)
    with torch.no_grad():
        for name, p in params.items():
            p.copy_(weights[name])
    model.train()
    tokens = torch.tensor(request["tokens"])
    logits = model(tokens, attention_mask=torch.tensor(request["masks"])).logits
    objective_and_gradients(logits, None, probe, request["masks"], params, out_path)


def main():
    if sys.argv[1] == "make":
        make(sys.argv[2])
        return
    from safetensors.torch import load_file

    mode, model_dir, request_path, weights_path, out_path = sys.argv[1:6]
    weights = load_file(weights_path)
    probe = weights.pop("probe")
    {"mixlora": mixlora, "lora": lora}[mode](model_dir, json.load(open(request_path)), weights, probe, out_path)


if __name__ == "__main__":
    main()
