"""PyTorch peer of bench/bench_rollout.c: the same configs and random-weight model (plain torch,
the layers of tests/reference/model/ref_model.py), batched generation with a preallocated KV
cache (transformers' StaticCache pattern: keys/values written in place at their positions),
prompt 32, 128 new tokens sampled with torch.multinomial at temperature 1, OpenBLAS on the same
thread count (bench/torch_peer.py), torch's intra-op threads as given (default: the same), under
torch.inference_mode(). Prints the BLAS torch uses and "RESULT torch <config> <B> <tok/s>".
usage: /usr/bin/python3 bench/bench_rollout_torch.py tiny|100m BATCH [prompt] [new] [threads]
       [intra-op threads]"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import torch_peer  # noqa: E402

THREADS = int(sys.argv[5]) if len(sys.argv) > 5 else 2
torch_peer.setup_threads(THREADS)
import torch  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "reference", "model"))
import ref_model  # noqa: E402

CONFIGS = {
    "tiny": dict(hidden_size=256, num_hidden_layers=4, num_attention_heads=4,
                 num_key_value_heads=2, intermediate_size=768, vocab_size=512),
    "100m": dict(hidden_size=768, num_hidden_layers=12, num_attention_heads=12,
                 num_key_value_heads=4, intermediate_size=2048, vocab_size=32000),
}


def main():
    name, B = sys.argv[1], int(sys.argv[2])
    T = int(sys.argv[3]) if len(sys.argv) > 3 else 32
    NEW = int(sys.argv[4]) if len(sys.argv) > 4 else 128
    torch.set_num_threads(int(sys.argv[6]) if len(sys.argv) > 6 else THREADS)
    cfg = dict(CONFIGS[name], model_type="llama", tie_word_embeddings=False, rms_norm_eps=1e-6)
    d = ref_model.config_dims(cfg)
    H, KVH, D, L = d["H"], d["KVH"], d["D"], d["L"]
    g = torch.Generator().manual_seed(1)
    p = {n: (torch.ones(s) if len(s) == 1 else 0.02 * torch.randn(s, generator=g))
         for n, s in ref_model.param_names(cfg)}
    Tmax = T + NEW
    kc = [torch.zeros(B, KVH, Tmax, D) for _ in range(L)]
    vc = [torch.zeros(B, KVH, Tmax, D) for _ in range(L)]
    inv = ref_model.inv_freq(cfg)

    def step(ids, pos0):
        """ids (B, Tq) at positions pos0.. -> logits of the last position (B, V)."""
        Tq = ids.shape[1]
        x = p["model.embed_tokens.weight"][ids]
        pos = torch.arange(pos0, pos0 + Tq).float()
        freqs = (inv[:, None] @ pos[None, :]).T
        emb = torch.cat((freqs, freqs), dim=-1)
        cos, sin = emb.cos(), emb.sin()
        Tk = pos0 + Tq
        mask = torch.full((Tq, Tk), float("-inf")).triu(pos0 + 1)
        for l in range(L):
            pre = f"model.layers.{l}."
            h = ref_model.rms_norm(x, p[pre + "input_layernorm.weight"], d["eps"])
            q = (h @ p[pre + "self_attn.q_proj.weight"].T).view(B, Tq, H, D).transpose(1, 2)
            k = (h @ p[pre + "self_attn.k_proj.weight"].T).view(B, Tq, KVH, D).transpose(1, 2)
            v = (h @ p[pre + "self_attn.v_proj.weight"].T).view(B, Tq, KVH, D).transpose(1, 2)
            q = q * cos + ref_model.rotate_half(q) * sin
            k = k * cos + ref_model.rotate_half(k) * sin
            kc[l][:, :, pos0:Tk] = k
            vc[l][:, :, pos0:Tk] = v
            kk = kc[l][:, :, :Tk].repeat_interleave(H // KVH, dim=1)
            vv = vc[l][:, :, :Tk].repeat_interleave(H // KVH, dim=1)
            att = torch.softmax(q @ kk.transpose(2, 3) * D ** -0.5 + mask, dim=-1)
            o = (att @ vv).transpose(1, 2).reshape(B, Tq, H * D)
            x = x + o @ p[pre + "self_attn.o_proj.weight"].T
            h = ref_model.rms_norm(x, p[pre + "post_attention_layernorm.weight"], d["eps"])
            gt = torch.nn.functional.silu(h @ p[pre + "mlp.gate_proj.weight"].T)
            x = x + (gt * (h @ p[pre + "mlp.up_proj.weight"].T)) @ p[pre + "mlp.down_proj.weight"].T
        x = ref_model.rms_norm(x[:, -1], p["model.norm.weight"], d["eps"])
        return x @ p["lm_head.weight"].T

    ids = torch.randint(0, d["V"], (B, T), generator=g)
    with torch.inference_mode():
        step(ids[:, :4], 0)  # warm-up
        t0 = time.perf_counter()
        logits = step(ids, 0)
        out = []
        for t in range(NEW):
            nxt = torch.multinomial(torch.softmax(logits, dim=-1), 1, generator=g)
            out.append(nxt)
            if t + 1 < NEW:
                logits = step(nxt, T + t)
        dt = time.perf_counter() - t0
    print(f"torch {torch.__version__} {name}: batch {B}, prompt {T}, {NEW} new tokens: "
          f"{B * NEW / dt:.1f} tokens/s; {torch_peer.blas_in_use(torch)}")
    print(f"RESULT torch {name} {B} {B * NEW / dt:.2f}")


if __name__ == "__main__":
    main()
