"""Greedy-generation fixtures for rollout/ (tests/rollout/test_generate.c), made with the
plain-torch reference model (tests/reference/model/ref_model.py) WITH a KV cache written here
from transformers' DynamicCache semantics (keys/values of past positions kept per layer, the
new token's query attends to all of them). The cached logits are checked against a full forward
of the same sequence at every step (the largest difference is printed).
Run from the repository root:  /usr/bin/python3 tests/reference/rollout/make_fixtures.py
Writes tests/data/rollout/greedy.jsonl, one line per (model, prompt):
  {"model": dir, "prompt": [...], "ids": [...new tokens...], "logprobs": [...],
   "min_margin": top1 - top2 logit gap seen (a greedy tie would make the test fragile),
   "text": decoded new tokens (TinyStories only, SentencePiece-style pieces)}
Generation stops at the model's eos_token_id (included) or after max_new tokens."""
import json
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "model"))
import ref_model  # noqa: E402
import st_io  # noqa: E402

ROOT = "tests/data/models"
OUT = "tests/data/rollout/greedy.jsonl"


def load(name):
    d = os.path.join(ROOT, name)
    cfg = json.load(open(os.path.join(d, "config.json")))
    t, meta = st_io.read(os.path.join(d, "model.safetensors"))
    p = {k: torch.from_numpy(v) for k, v in t.items()}
    if "model.embed_tokens.weight" not in p:
        p["model.embed_tokens.weight"] = p[meta.get("model.embed_tokens.weight", "lm_head.weight")]
    return cfg, p


def cached_step(cfg, p, cache, ids, pos0):
    """Forward of new tokens ids (list) at positions pos0.. given cache[l] = (k, v) of
    (KVH, pos0, D); returns logits (len(ids), V) and extends the cache."""
    d = ref_model.config_dims(cfg)
    H, KVH, D = d["H"], d["KVH"], d["D"]
    T = len(ids)
    x = p["model.embed_tokens.weight"][torch.tensor(ids)]
    pos = torch.arange(pos0, pos0 + T).float()
    freqs = ref_model.inv_freq(cfg)[:, None].float() @ pos[None, :]
    emb = torch.cat((freqs, freqs), dim=0).T
    cos, sin = emb.cos(), emb.sin()
    Tk = pos0 + T
    mask = torch.full((T, Tk), torch.finfo(torch.float32).min).triu(pos0 + 1)

    def lin(x, name):
        return torch.nn.functional.linear(x, p[name + ".weight"], p.get(name + ".bias"))

    for l in range(d["L"]):
        pre = f"model.layers.{l}."
        h = ref_model.rms_norm(x, p[pre + "input_layernorm.weight"], d["eps"])
        q = lin(h, pre + "self_attn.q_proj").view(T, H, D).transpose(0, 1)
        k = lin(h, pre + "self_attn.k_proj").view(T, KVH, D).transpose(0, 1)
        v = lin(h, pre + "self_attn.v_proj").view(T, KVH, D).transpose(0, 1)
        q = q * cos + ref_model.rotate_half(q) * sin
        k = k * cos + ref_model.rotate_half(k) * sin
        if l in cache:
            k = torch.cat((cache[l][0], k), dim=1)
            v = torch.cat((cache[l][1], v), dim=1)
        cache[l] = (k, v)
        kk = k.repeat_interleave(H // KVH, dim=0)
        vv = v.repeat_interleave(H // KVH, dim=0)
        att = torch.softmax(q @ kk.transpose(1, 2) * D ** -0.5 + mask, dim=-1)
        o = (att @ vv).transpose(0, 1).reshape(T, H * D)
        x = x + lin(o, pre + "self_attn.o_proj")
        h = ref_model.rms_norm(x, p[pre + "post_attention_layernorm.weight"], d["eps"])
        g = torch.nn.functional.silu(lin(h, pre + "mlp.gate_proj"))
        x = x + lin(g * lin(h, pre + "mlp.up_proj"), pre + "mlp.down_proj")
    x = ref_model.rms_norm(x, p["model.norm.weight"], d["eps"])
    head = p["model.embed_tokens.weight"] if d["tied"] else p["lm_head.weight"]
    return x @ head.T


def eos_ids(cfg):
    e = cfg.get("eos_token_id")
    return set(e if isinstance(e, list) else [] if e is None else [e])


def greedy(cfg, p, prompt, max_new, worst):
    cache, out, lps, margin = {}, [], [], float("inf")
    logits = cached_step(cfg, p, cache, prompt, 0)[-1]
    while True:
        seq = prompt + out
        full = ref_model.forward(cfg, p, torch.tensor([seq]))[0, -1]
        worst[0] = max(worst[0], float((full - logits).abs().max()))
        top = torch.topk(logits, 2).values
        margin = min(margin, float(top[0] - top[1]))
        t = int(logits.argmax())
        out.append(t)
        lps.append(float(torch.log_softmax(logits, dim=-1)[t]))
        if t in eos_ids(cfg) or len(out) == max_new or len(seq) + 1 >= cfg["max_position_embeddings"]:
            return out, lps, margin
        logits = cached_step(cfg, p, cache, [t], len(seq))[-1]


def sp_decode(ids, vocab):
    out = bytearray()
    for i in ids:
        piece = vocab[i]
        if piece.startswith("<0x") and piece.endswith(">") and len(piece) == 6:
            out.append(int(piece[3:5], 16))
        else:
            out += piece.replace("\u2581", " ").encode()
    return out.decode("utf-8", errors="replace")


def main():
    torch.manual_seed(0)
    lines, worst = [], [0.0]
    for name, max_new in (("ref-llama", 24), ("ref-odd", 16), ("ref-qwen2", 24),
                          ("ferrl-tiny-llama-random", 24)):
        cfg, p = load(name)
        V = cfg["vocab_size"]
        g = torch.Generator().manual_seed(1234)
        for n in (1, 3, 7):
            prompt = torch.randint(0, V, (n,), generator=g).tolist()
            ids, lps, margin = greedy(cfg, p, prompt, max_new, worst)
            lines.append({"model": name, "prompt": prompt, "ids": ids, "logprobs": lps,
                          "min_margin": margin})
    name = "tinystories-656k-llama"
    cfg, p = load(name)
    tok = json.load(open(os.path.join(ROOT, name, "tokenizer.json")))
    vocab = {v: k for k, v in tok["model"]["vocab"].items()}
    v = tok["model"]["vocab"]
    for prompt in ([1], [1, 147, 201, 282, 215], [1, v["Tom\u2581and\u2581"]]):
        ids, lps, margin = greedy(cfg, p, prompt, 120, worst)
        text = sp_decode([i for i in ids if i not in eos_ids(cfg)], vocab)
        lines.append({"model": name, "prompt": prompt, "ids": ids, "logprobs": lps,
                      "min_margin": margin, "text": text})
        print(f"{name} {prompt}: {text!r}")
    print(f"cached vs full forward logits: max |diff| {worst[0]:.3g}")
    print(f"smallest greedy margin: {min(x['min_margin'] for x in lines):.3g}")
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        for x in lines:
            f.write(json.dumps(x) + "\n")


if __name__ == "__main__":
    main()
