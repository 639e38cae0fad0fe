"""Makes rlpt's model fixtures with the plain-torch reference (ref_model.py).
Run from the repository root:  /usr/bin/python3 tests/reference/model/make_fixtures.py
Writes, for each config below, tests/data/models/ref-<name>/ with config.json, model.safetensors
(random weights) and fixture.safetensors holding:
  ids, targets (B, T) as F32; logits (B, T, V); logp, entropy (B, T); loss (1) = mean -logp over
  targets >= 0; grad.<param> for every parameter; adamw5.<param>: the parameters after 5
  torch.optim.AdamW steps (lr 1e-2, betas .9/.999, eps 1e-8, weight decay 0.1 on matrices only,
  clip_grad_norm_ 1.0 each step) on the same batch; gradnorm (5) before clipping."""
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(__file__))
import ref_model  # noqa: E402
import st_io  # noqa: E402

CONFIGS = {
    # Llama-like, untied head, llama3 RoPE scaling, GQA 2:1
    "llama": dict(model_type="llama", hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                  num_attention_heads=4, num_key_value_heads=2, head_dim=8, vocab_size=61,
                  max_position_embeddings=64, rms_norm_eps=1e-5, rope_theta=500000.0,
                  rope_scaling=dict(rope_type="llama3", factor=8.0, low_freq_factor=1.0,
                                    high_freq_factor=4.0, original_max_position_embeddings=8),
                  tie_word_embeddings=False, attention_bias=False, hidden_act="silu",
                  torch_dtype="float32", bos_token_id=1, eos_token_id=2),
    # Qwen2-like: QKV bias, tied embeddings, 1e6 theta
    "qwen2": dict(model_type="qwen2", hidden_size=48, intermediate_size=96, num_hidden_layers=2,
                  num_attention_heads=6, num_key_value_heads=2, vocab_size=70,
                  max_position_embeddings=128, rms_norm_eps=1e-6, rope_theta=1000000.0,
                  rope_scaling=None, tie_word_embeddings=True, use_sliding_window=False,
                  hidden_act="silu", torch_dtype="float32", bos_token_id=0, eos_token_id=[3, 4]),
    # odd sizes: head_dim 6 (not a power of two), one kv head, linear RoPE scaling, 3 layers
    "odd": dict(model_type="llama", hidden_size=18, intermediate_size=37, num_hidden_layers=3,
                num_attention_heads=3, num_key_value_heads=1, head_dim=6, vocab_size=29,
                max_position_embeddings=32, rms_norm_eps=1e-6, rope_theta=10000.0,
                rope_scaling=dict(type="linear", factor=2.0), tie_word_embeddings=False,
                attention_bias=True, hidden_act="silu", torch_dtype="float32"),
}
B, T = 2, 9


def make(name, cfg, root):
    g = torch.Generator().manual_seed(1234 + len(name))
    d = ref_model.config_dims(cfg)
    params = {}
    for pname, shape in ref_model.param_names(cfg):
        if pname.endswith("norm.weight"):
            t = 1.0 + 0.2 * torch.randn(shape, generator=g)
        elif pname.endswith(".bias"):
            t = 0.1 * torch.randn(shape, generator=g)
        else:
            t = 0.3 * torch.randn(shape, generator=g)
        params[pname] = t.float()
    ids = torch.randint(0, d["V"], (B, T), generator=g)
    targets = torch.cat([ids[:, 1:], torch.randint(0, d["V"], (B, 1), generator=g)], dim=1)
    targets[1, 3] = -1  # an ignored position
    out = os.path.join(root, f"ref-{name}")
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
    st_io.write(os.path.join(out, "model.safetensors"),
                {k: v.numpy() for k, v in params.items()}, {"format": "pt"})

    p = {k: v.clone().requires_grad_(True) for k, v in params.items()}
    logits = ref_model.forward(cfg, p, ids)
    logsm = torch.log_softmax(logits, dim=-1)
    valid = targets >= 0
    logp = torch.where(valid, logsm.gather(-1, targets.clamp(min=0)[..., None])[..., 0],
                       torch.zeros(()))
    entropy = -(logsm.exp() * logsm).sum(-1)
    loss = -logp.sum() / valid.sum()
    loss.backward()
    fx = {"ids": ids.float(), "targets": targets.float(), "logits": logits.detach(),
          "logp": logp.detach(), "entropy": entropy.detach(), "loss": loss.detach().reshape(1)}
    for k, v in p.items():
        fx["grad." + k] = v.grad.detach()

    p = {k: v.clone().requires_grad_(True) for k, v in params.items()}
    decay = [v for k, v in p.items() if v.dim() == 2]
    no_decay = [v for k, v in p.items() if v.dim() != 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1},
                             {"params": no_decay, "weight_decay": 0.0}],
                            lr=1e-2, betas=(0.9, 0.999), eps=1e-8)
    norms = []
    for _ in range(5):
        opt.zero_grad()
        lg = torch.log_softmax(ref_model.forward(cfg, p, ids), dim=-1)
        lp = torch.where(valid, lg.gather(-1, targets.clamp(min=0)[..., None])[..., 0],
                         torch.zeros(()))
        (-lp.sum() / valid.sum()).backward()
        norms.append(float(torch.nn.utils.clip_grad_norm_(list(p.values()), 1.0)))
        opt.step()
    for k, v in p.items():
        fx["adamw5." + k] = v.detach()
    fx["gradnorm"] = torch.tensor(norms)
    st_io.write(os.path.join(out, "fixture.safetensors"),
                {k: v.float().numpy() for k, v in fx.items()})
    print(f"{name}: loss {loss.item():.6f}, {sum(v.numel() for v in params.values())} params,"
          f" grad norms {['%.4f' % n for n in norms]}")


if __name__ == "__main__":
    torch.manual_seed(0)
    torch.set_num_threads(1)
    for name, cfg in CONFIGS.items():
        make(name, cfg, "tests/data/models")
