"""PyTorch peer of bench/bench_model.c: the same configs, one training step = forward (the
plain-torch reference model, tests/reference/model/ref_model.py) + backward + clip_grad_norm_ +
torch.optim.AdamW, OpenBLAS on the same thread count (bench/torch_peer.py), torch's intra-op
threads as given (default: the same). Prints "RESULT <config> <tokens/s> <tokens per
CPU-second>".
usage: /usr/bin/python3 bench/bench_model_torch.py tiny|100m [steps] [threads] [intra-op threads]"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import torch_peer  # noqa: E402

THREADS = int(sys.argv[3]) if len(sys.argv) > 3 else 2
torch_peer.setup_threads(THREADS)
import torch  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "reference", "model"))
import ref_model  # noqa: E402

CONFIGS = {
    "tiny": (dict(hidden_size=256, num_hidden_layers=4, num_attention_heads=4,
                  num_key_value_heads=2, intermediate_size=768, vocab_size=512), 256),
    "100m": (dict(hidden_size=768, num_hidden_layers=12, num_attention_heads=12,
                  num_key_value_heads=4, intermediate_size=2048, vocab_size=32000), 512),
}


def main():
    name = sys.argv[1]
    steps = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    torch.set_num_threads(int(sys.argv[4]) if len(sys.argv) > 4 else THREADS)
    dims, T = CONFIGS[name]
    cfg = dict(dims, model_type="llama", tie_word_embeddings=False, rms_norm_eps=1e-6)
    B = 8
    g = torch.Generator().manual_seed(1)
    p = {}
    for n, shape in ref_model.param_names(cfg):
        t = torch.ones(shape) if len(shape) == 1 else 0.02 * torch.randn(shape, generator=g)
        p[n] = t.requires_grad_(True)
    opt = torch.optim.AdamW(list(p.values()), lr=1e-4)
    ids = torch.randint(0, dims["vocab_size"], (B, T), generator=g)
    print(f"torch {torch.__version__}, config {name}; {torch_peer.blas_in_use(torch)}")
    t0 = cpu0 = 0.0
    for s in range(steps + 1):  # step 0 warms up
        if s == 1:
            t0, cpu0 = time.perf_counter(), time.process_time()
        ts = time.perf_counter()
        opt.zero_grad()
        logits = ref_model.forward(cfg, p, ids)
        loss = torch.nn.functional.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]),
                                                 ids[:, 1:].reshape(-1))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(list(p.values()), 1.0)
        opt.step()
        print(f"step {s}: loss {loss.item():.4f}, {time.perf_counter() - ts:.2f} s", flush=True)
    dt = (time.perf_counter() - t0) / steps
    cpu = (time.process_time() - cpu0) / steps
    print(f"{name}: {B * T / cpu:.0f} tokens per CPU-second")
    print(f"RESULT {name} {B * T / dt:.1f} {B * T / cpu:.1f}")


if __name__ == "__main__":
    main()
