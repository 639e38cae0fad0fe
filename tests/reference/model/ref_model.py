"""A plain-torch Llama / Qwen2 decoder, written from the transformers sources (modeling_llama.py,
modeling_qwen2.py, modeling_rope_utils.py) without importing transformers, which Debian lacks.
It is the reference rlpt's C model is checked against: same names, same fp32 arithmetic order.
Parameters are a dict name -> tensor with the Hugging Face names."""
import math

import torch


def config_dims(cfg):
    H = cfg["num_attention_heads"]
    C = cfg["hidden_size"]
    return dict(C=C, F=cfg["intermediate_size"], L=cfg["num_hidden_layers"], H=H,
                KVH=cfg.get("num_key_value_heads") or H, D=cfg.get("head_dim") or C // H,
                V=cfg["vocab_size"], eps=cfg.get("rms_norm_eps", 1e-6),
                tied=cfg.get("tie_word_embeddings", False))


def rope_params(cfg):
    rs = cfg.get("rope_parameters") or cfg.get("rope_scaling") or {}
    theta = rs.get("rope_theta", cfg.get("rope_theta", 10000.0))
    return theta, rs


def inv_freq(cfg):
    """transformers _compute_default / _linear / _llama3 rope parameters, in fp32."""
    d = config_dims(cfg)
    theta, rs = rope_params(cfg)
    dim = d["D"]
    inv = 1.0 / (theta ** (torch.arange(0, dim, 2, dtype=torch.int64).float() / dim))
    kind = rs.get("rope_type", rs.get("type", "default"))
    if kind == "linear":
        inv = inv / rs["factor"]
    elif kind == "llama3":
        factor, lo, hi = rs["factor"], rs["low_freq_factor"], rs["high_freq_factor"]
        old = rs["original_max_position_embeddings"]
        low_wavelen, high_wavelen = old / lo, old / hi
        wavelen = 2 * math.pi / inv
        inv_l = torch.where(wavelen > low_wavelen, inv / factor, inv)
        smooth = (old / wavelen - lo) / (hi - lo)
        smoothed = (1 - smooth) * inv_l / factor + smooth * inv_l
        medium = ~(wavelen < high_wavelen) * ~(wavelen > low_wavelen)
        inv = torch.where(medium, smoothed, inv_l)
    return inv


def rms_norm(x, w, eps):
    var = x.pow(2).mean(-1, keepdim=True)
    return w * (x * torch.rsqrt(var + eps))


def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat((-x[..., h:], x[..., :h]), dim=-1)


def forward(cfg, p, ids):
    """ids (B, T) long -> logits (B, T, V), float32."""
    d = config_dims(cfg)
    B, T = ids.shape
    H, KVH, D = d["H"], d["KVH"], d["D"]
    x = p["model.embed_tokens.weight"][ids]
    pos = torch.arange(T).float()
    freqs = inv_freq(cfg)[:, None].float() @ pos[None, :]
    emb = torch.cat((freqs, freqs), dim=0).T  # (T, D)
    cos, sin = emb.cos(), emb.sin()
    mask = torch.full((T, T), torch.finfo(torch.float32).min).triu(1)

    def lin(x, name):
        w = p[name + ".weight"]
        b = p.get(name + ".bias")
        return torch.nn.functional.linear(x, w, b)

    for l in range(d["L"]):
        pre = f"model.layers.{l}."
        h = rms_norm(x, p[pre + "input_layernorm.weight"], d["eps"])
        q = lin(h, pre + "self_attn.q_proj").view(B, T, H, D).transpose(1, 2)
        k = lin(h, pre + "self_attn.k_proj").view(B, T, KVH, D).transpose(1, 2)
        v = lin(h, pre + "self_attn.v_proj").view(B, T, KVH, D).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        k = k.repeat_interleave(H // KVH, dim=1)
        v = v.repeat_interleave(H // KVH, dim=1)
        att = torch.matmul(q, k.transpose(2, 3)) * D ** -0.5 + mask
        att = torch.softmax(att, dim=-1, dtype=torch.float32)
        o = torch.matmul(att, v).transpose(1, 2).reshape(B, T, H * D)
        x = x + lin(o, pre + "self_attn.o_proj")
        h = rms_norm(x, p[pre + "post_attention_layernorm.weight"], d["eps"])
        g = torch.nn.functional.silu(lin(h, pre + "mlp.gate_proj"))
        x = x + lin(g * lin(h, pre + "mlp.up_proj"), pre + "mlp.down_proj")
    x = rms_norm(x, p["model.norm.weight"], d["eps"])
    head = p["model.embed_tokens.weight"] if d["tied"] else p["lm_head.weight"]
    return x @ head.T


def param_names(cfg):
    """In rlpt's layout order (policy/params.c)."""
    d = config_dims(cfg)
    qkv_bias = cfg["model_type"] == "qwen2" or cfg.get("attention_bias", False)
    o_bias = cfg["model_type"] == "llama" and cfg.get("attention_bias", False)
    HD, KD, C, F = d["H"] * d["D"], d["KVH"] * d["D"], d["C"], d["F"]
    out = [("model.embed_tokens.weight", (d["V"], C))]
    for l in range(d["L"]):
        pre = f"model.layers.{l}."
        out.append((pre + "input_layernorm.weight", (C,)))
        for n, rows in (("q", HD), ("k", KD), ("v", KD)):
            out.append((pre + f"self_attn.{n}_proj.weight", (rows, C)))
            if qkv_bias:
                out.append((pre + f"self_attn.{n}_proj.bias", (rows,)))
        out.append((pre + "self_attn.o_proj.weight", (C, HD)))
        if o_bias:
            out.append((pre + "self_attn.o_proj.bias", (C,)))
        out.append((pre + "post_attention_layernorm.weight", (C,)))
        out.append((pre + "mlp.gate_proj.weight", (F, C)))
        out.append((pre + "mlp.up_proj.weight", (F, C)))
        out.append((pre + "mlp.down_proj.weight", (C, F)))
    out.append(("model.norm.weight", (C,)))
    if not d["tied"]:
        out.append(("lm_head.weight", (d["V"], C)))
    return out
