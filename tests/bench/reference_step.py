#!/usr/bin/python3
"""A plain PyTorch implementation of remix's finetuning step, the yardstick of bench_vs_python (test-time only).

Written from the maths, not from remix's C++: a Llama decoder (RMSNorm, rotary embedding, grouped-query attention,
SwiGLU) kept frozen, a Mixture-of-LoRAs on gate/up/down with one router per feed-forward block, and the step a
researcher would write around it with autograd: forward, per-sequence answer loss, the router's extra loss
(MixLoRA's load balancing, or ReMix's RLOO on the log-probability of Gumbel-top-k draws over M replicas), backward,
AdamW. Adapters are the dense formulation (every expert's product, weighted by a mostly-zero [tokens, n] matrix),
the way MixLoRA-style code is usually written. Run by Debian's python3-torch on the same OpenBLAS as remix.

  reference_step.py SPEC.json WEIGHTS.pt   ->  JSON on stdout: per variant the step times (ms) and the first two
                                               steps' answer losses (which remix's must equal for deterministic
                                               routers, since both start from the same weights)
"""
import json
import math
import sys
import time

import torch
import torch.nn.functional as F


def rms_norm(x, w, eps):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w


def rotate(x, cos, sin, style):
    if style == "half":
        x0, x1 = x.chunk(2, -1)
        return torch.cat([x0 * cos - x1 * sin, x0 * sin + x1 * cos], -1)
    x0, x1 = x[..., 0::2], x[..., 1::2]
    return torch.stack([x0 * cos - x1 * sin, x0 * sin + x1 * cos], -1).flatten(-2)


class MixtureStep:
    """One step variant: the base weights (frozen), its adapters and router, its AdamW."""

    def __init__(self, spec, variant, weights):
        self.s, self.v = spec, variant
        def under(prefix):
            return {k[len(prefix):]: t for k, t in weights.items() if k.startswith(prefix)}
        self.w = under("base/")
        own = {k: t.clone().requires_grad_() for k, t in under(variant["name"] + "/").items()}
        self.w.update(own)
        self.trained = list(own.values())
        self.opt = torch.optim.AdamW(self.trained, lr=3e-3)
        hd = spec["dim"] // spec["n_heads"]
        freq = spec["rope_theta"] ** (-torch.arange(0, hd, 2, dtype=torch.float64) / hd)
        angle = torch.arange(spec["max_seq_len"], dtype=torch.float64)[:, None] * freq[None, :]
        self.cos, self.sin = angle.cos().float(), angle.sin().float()

    def route(self, h, layer, valid, keys):
        """[N, n] weight of each expert per token, the router's log Q per token (ReMix) and its aux loss."""
        v, N = self.v, h.shape[0]
        n, k, r, alpha = v["n"], v["k"], v["r"], v["alpha"]
        if v["router"] == "lora":
            return torch.full((N, 1), alpha / r), None, None
        wr = self.w[f"layers.{layer}.ffn.adapter.site.router.weight"]
        if v["router"] == "softmax":
            q = torch.softmax(h @ wr.t(), -1)
            top, idx = q.topk(k, -1)
            m = torch.zeros_like(q).scatter(1, idx, top / top.sum(-1, keepdim=True) * (alpha / r))
            f = torch.zeros_like(q).scatter(1, idx, 1.0)[valid].mean(0)
            return m, None, v["aux_coef"] * n * (f * q[valid].mean(0)).sum()
        logits = h.detach() @ wr.t()  # ReMix: the router learns only through log Q
        gumbel = -torch.log(-torch.log(torch.rand(logits.shape, generator=keys).clamp_min(1e-20)))
        idx = (logits + gumbel).topk(k, -1).indices
        log_q, remaining = torch.zeros(N), logits.clone()
        for j in range(k):  # the ordered draw without replacement
            chosen = idx[:, j:j + 1]
            log_q = log_q + remaining.gather(1, chosen).squeeze(1) - torch.logsumexp(remaining, -1)
            remaining = remaining.scatter(1, chosen, -math.inf)
        m = torch.zeros(N, n).scatter(1, idx, alpha / (k * r))
        return m, log_q, None

    def adapted(self, x, name, m):
        A, B = self.w[name + ".bank.A"], self.w[name + ".bank.B"]
        n, r = m.shape[1], self.v["r"]
        hidden = ((x @ A.t()).view(-1, n, r) * m[:, :, None]).view(-1, n * r)
        return x @ self.w[name.replace(".adapter.", ".") + ".weight"].t() + hidden @ B.t()

    def losses(self, inputs, targets, valid, loss_mask, keys):
        s, w = self.s, self.w
        Bsz, T = inputs.shape
        H, KV, hd = s["n_heads"], s["n_kv_heads"], s["dim"] // s["n_heads"]
        cos, sin = self.cos[:T, None, :], self.sin[:T, None, :]
        allowed = torch.ones(T, T, dtype=torch.bool).tril()
        x = w["embed.weight"][inputs]
        log_q, aux, flat_valid = torch.zeros(Bsz * T), [], valid.reshape(-1)
        for i in range(s["n_layers"]):
            p = f"layers.{i}."
            h = rms_norm(x, w[p + "attn_norm.weight"], s["norm_eps"])
            q = rotate((h @ w[p + "attn.q.weight"].t()).view(Bsz, T, H, hd), cos, sin, s["rope_style"])
            k = rotate((h @ w[p + "attn.k.weight"].t()).view(Bsz, T, KV, hd), cos, sin, s["rope_style"])
            v = (h @ w[p + "attn.v.weight"].t()).view(Bsz, T, KV, hd)
            k, v = (t.repeat_interleave(H // KV, 2).transpose(1, 2) for t in (k, v))
            scores = (q.transpose(1, 2) @ k.transpose(-1, -2)) / math.sqrt(hd)
            attn = torch.softmax(scores.masked_fill(~allowed, -math.inf), -1) @ v
            x = x + attn.transpose(1, 2).reshape(Bsz, T, H * hd) @ w[p + "attn.o.weight"].t()
            h = rms_norm(x, w[p + "ffn_norm.weight"], s["norm_eps"]).reshape(Bsz * T, -1)
            m, lq, a = self.route(h, i, flat_valid, keys)
            if lq is not None:
                log_q = log_q + lq * flat_valid
            if a is not None:
                aux.append(a)
            a = p + "ffn.adapter."
            mid = F.silu(self.adapted(h, a + "gate", m)) * self.adapted(h, a + "up", m)
            x = x + self.adapted(mid, a + "down", m).view(Bsz, T, -1)
        x = rms_norm(x, w["norm.weight"], s["norm_eps"])
        logits = x @ w.get("head.weight", w["embed.weight"]).t()
        token_loss = F.cross_entropy(logits.reshape(Bsz * T, -1), targets.reshape(-1), reduction="none")
        token_loss = (token_loss * loss_mask.reshape(-1)).view(Bsz, T)
        per_row = token_loss.sum(1) / loss_mask.sum(1).clamp_min(1)
        return per_row, log_q.view(Bsz, T).sum(1), (sum(aux) / len(aux) if aux else None)

    def step(self, batch, keys):
        M = self.v["samples"]
        inputs, targets, valid, loss_mask = (t.repeat(M, 1) for t in batch)
        self.opt.zero_grad()
        per_row, log_q, aux = self.losses(inputs, targets, valid, loss_mask, keys)
        loss = per_row.mean()
        if M > 1:  # RLOO: each replica's loss against the mean of the others
            L = per_row.detach().view(M, -1)
            advantage = L - L.mean(0, keepdim=True)
            loss = loss + (advantage * log_q.view(M, -1)).sum(0).div(M - 1).mean()
        if aux is not None:
            loss = loss + aux
        loss.backward()
        self.opt.step()
        return per_row.mean().item()


def main():
    spec = json.load(open(sys.argv[1]))
    weights = torch.load(sys.argv[2])
    torch.set_num_threads(spec["threads"])
    batch = (torch.tensor(spec["inputs"]), torch.tensor(spec["targets"]), torch.tensor(spec["valid"], dtype=torch.bool),
             torch.tensor(spec["loss_mask"], dtype=torch.float32))
    keys = torch.Generator().manual_seed(0)
    steps = [MixtureStep(spec, v, weights) for v in spec["variants"]]
    if spec.get("profile_dir"):  # Chrome traces of 3 steps per variant (profile_summary.py reads them)
        for st in steps:
            st.step(batch, keys)
            with torch.autograd.profiler.profile() as prof:
                for _ in range(3):
                    st.step(batch, keys)
            prof.export_chrome_trace(f"{spec['profile_dir']}/python_{st.v['name']}.json")
        json.dump({"profiled": [st.v["name"] for st in steps]}, sys.stdout)
        return
    out = {"torch": torch.__version__, "threads": torch.get_num_threads(), "variants": {}}
    for st in steps:
        out["variants"][st.v["name"]] = {"losses": [st.step(batch, keys) for _ in range(2)], "ms": []}
    for _ in range(spec["warmup"]):
        for st in steps:
            st.step(batch, keys)
    for _ in range(spec["reps"]):  # interleaved, as remix's variants are
        for st in steps:
            t = time.perf_counter()
            st.step(batch, keys)
            out["variants"][st.v["name"]]["ms"].append((time.perf_counter() - t) * 1e3)
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
