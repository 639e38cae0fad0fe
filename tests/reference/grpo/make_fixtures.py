#!/usr/bin/python3
"""tests/reference/grpo/make_fixtures.py: reference values for rl/grpo.c, from PyTorch autograd
over the formulas as the papers state them and TRL / verl compute them (shared GRPO notes):

  advantages  GRPO (r - mean) / (std_unbiased + eps); Dr. GRPO r - mean; batch std
  per token   l = max(-A r, -A clamp(r, 1-eps_low, 1+eps_high)); dual clip min(l, -A c) if A < 0
              + beta * KL (k1 = new - ref; k3 = exp(ref-new) - (ref-new) - 1) - ent_coef * H
              log-ratios clamped to [-20, 20] (verl); r = exp(clamped log-ratio)
  aggregate   seq-mean-token-mean: mean_i (sum_t l / |o_i|); token-mean: sum l / N_tok;
              seq-mean-token-sum: sum l / (N_seq * L)      (masked sequences excluded)

Writes tests/data/grpo/fixtures.json: inputs, the loss, d loss / d logp and d loss / d H for
every variant. Run: /usr/bin/python3 tests/reference/grpo/make_fixtures.py (Debian python3-torch).
Inputs are float32 values; the reference computes in float64."""
import json
import os
import torch

torch.manual_seed(1234)
OUT = os.path.join(os.path.dirname(__file__), "..", "..", "data", "grpo", "fixtures.json")


def f32(t):
    return t.to(torch.float32).to(torch.float64)


def advantages(rewards, G, mode, eps):
    r = rewards.view(-1, G)
    mean = r.mean(dim=1, keepdim=True)
    if mode == "grpo":
        return ((r - mean) / (r.std(dim=1, keepdim=True) + eps)).reshape(-1)   # unbiased std
    if mode == "dr_grpo":
        return (r - mean).reshape(-1)
    return ((r - mean) / (rewards.std() + eps)).reshape(-1)                    # batch std


def loss_and_grads(seqs, o):
    live = [s for s in seqs if not s["masked"]]
    n_seq = len(live)
    n_tok = sum(s["T"] for s in live)
    total = torch.zeros((), dtype=torch.float64)
    params, ents = [], []
    for s in seqs:
        logp = torch.tensor(s["logp"], dtype=torch.float64, requires_grad=True)
        ent = torch.tensor(s["entropy"], dtype=torch.float64, requires_grad=True)
        params.append(logp)
        ents.append(ent)
        if s["masked"]:
            continue
        old = torch.tensor(s["logp_old"], dtype=torch.float64)
        ref = torch.tensor(s["logp_ref"], dtype=torch.float64)
        A = s["adv"]
        ratio = torch.exp(torch.clamp(logp - old, -20.0, 20.0))
        pg1 = -A * ratio
        pg2 = -A * torch.clamp(ratio, 1 - o["clip_low"], 1 + o["clip_high"])
        pg = torch.maximum(pg1, pg2)
        if o["dual_clip"] > 1 and A < 0:
            pg = torch.minimum(pg, torch.full_like(pg, -A * o["dual_clip"]))
        l = pg
        if o["beta"] != 0:
            if o["kl"] == "k1":
                kl = logp - ref
            else:
                x = torch.clamp(ref - logp, -20.0, 20.0)
                kl = torch.exp(x) - x - 1
            l = l + o["beta"] * kl
        l = l - o["entropy_coef"] * ent
        if o["agg"] == "seq_mean_token_mean":
            total = total + l.sum() / s["T"] / n_seq
        elif o["agg"] == "token_mean":
            total = total + l.sum() / n_tok
        else:
            total = total + l.sum() / (n_seq * o["agg_tokens"])
    total.backward()
    dlogp = [p.grad.tolist() if p.grad is not None else [0.0] * len(p) for p in params]
    dent = [e.grad.tolist() if e.grad is not None else [0.0] * len(e) for e in ents]
    return total.item(), dlogp, dent, n_seq, n_tok


def make_seqs(n, G, spread):
    rewards = torch.tensor([float(torch.randint(0, 2, ()).item()) + 0.1 * torch.rand(()).item()
                            for _ in range(n)], dtype=torch.float64)
    adv = advantages(rewards, G, "grpo", 1e-6)
    seqs = []
    for i in range(n):
        T = int(torch.randint(1, 9, ()).item())
        logp = f32(-torch.rand(T, dtype=torch.float64) * 4)
        old = f32(logp + torch.randn(T, dtype=torch.float64) * spread)
        ref = f32(logp + torch.randn(T, dtype=torch.float64) * 0.5)
        ent = f32(torch.rand(T, dtype=torch.float64) * 3)
        seqs.append({"T": T, "logp": logp.tolist(), "logp_old": old.tolist(),
                     "logp_ref": ref.tolist(), "entropy": ent.tolist(),
                     "adv": adv[i].item(), "masked": 1 if (i == 2) else 0})
    return seqs


def main():
    cases = []
    seqs = make_seqs(8, 4, 0.4)   # spread 0.4: many tokens outside [0.8, 1.28]
    seqs.append({"T": 3, "logp": [-1.0, -2.0, -0.5], "logp_old": [-30.0, -1.0, 25.0],
                 "logp_ref": [-1.5, -1.0, -60.0], "entropy": [0.5, 1.0, 1.5], "adv": -0.75,
                 "masked": 0})    # log-ratio clamp at both ends, k3 clamp
    variants = []
    for agg in ["seq_mean_token_mean", "token_mean", "seq_mean_token_sum"]:
        variants.append({"agg": agg, "clip_low": 0.2, "clip_high": 0.28, "dual_clip": 0.0,
                         "beta": 0.0, "kl": "k3", "entropy_coef": 0.0, "agg_tokens": 16})
    variants.append({"agg": "token_mean", "clip_low": 0.2, "clip_high": 0.2, "dual_clip": 3.0,
                     "beta": 0.04, "kl": "k3", "entropy_coef": 0.01, "agg_tokens": 16})
    variants.append({"agg": "seq_mean_token_mean", "clip_low": 0.1, "clip_high": 0.3,
                     "dual_clip": 1.5, "beta": 0.1, "kl": "k1", "entropy_coef": 0.0,
                     "agg_tokens": 16})
    variants.append({"agg": "seq_mean_token_sum", "clip_low": 0.2, "clip_high": 0.28,
                     "dual_clip": 0.0, "beta": 0.001, "kl": "k3", "entropy_coef": -0.02,
                     "agg_tokens": 10})
    for o in variants:
        loss, dlogp, dent, n_seq, n_tok = loss_and_grads(seqs, o)
        cases.append({"opts": o, "n_seq": n_seq, "n_tok": n_tok, "loss": loss,
                      "dlogp": dlogp, "dent": dent})
    adv_cases = []
    for rewards, G in [([1, 0, 0, 1], 4), ([1, 0, 0, 0], 4), ([1, 1, 1, 1, 0.5, 0, 1, 0], 4),
                       ([0.3, 0.7, 0.1, 0.9, 0.5, 0.5], 2), ([2, 2, 2], 3)]:
        r = torch.tensor(rewards, dtype=torch.float64)
        for mode in ["grpo", "dr_grpo", "batch_std"]:
            for eps in [1e-6, 1e-4]:
                adv_cases.append({"rewards": rewards, "G": G, "mode": mode, "eps": eps,
                                  "adv": advantages(r, G, mode, eps).tolist()})
    with open(OUT, "w") as f:
        json.dump({"generator": "tests/reference/grpo/make_fixtures.py",
                   "torch": torch.__version__, "seqs": seqs, "cases": cases,
                   "advantages": adv_cases}, f, indent=1)
        f.write("\n")
    print(f"wrote {OUT}: {len(cases)} loss variants over {len(seqs)} sequences, "
          f"{len(adv_cases)} advantage cases")


main()
