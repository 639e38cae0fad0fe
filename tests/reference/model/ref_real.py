"""Fixtures from the two real transformers-written checkpoints (tests/data/models/SOURCES.md),
made with the plain-torch reference (ref_model.py).
Run from the repository root:  /usr/bin/python3 tests/reference/model/ref_real.py
- checks the reference against transformers' own logits in ferrl-tiny-llama-random/golden.json
  (prints the largest difference) and writes ferrl-tiny-llama-random/score-expected.jsonl:
  {"ids": [...], "logprobs": [...]} per golden sequence, what `rlpt score` must print;
- writes tinystories-656k-llama/greedy-expected.json: 40 greedy tokens after BOS, their
  log-probabilities and the text they spell with tokenizer.json's vocabulary."""
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(__file__))
import ref_model  # noqa: E402
import st_io  # noqa: E402

ROOT = "tests/data/models"


def load(name):
    d = os.path.join(ROOT, name)
    cfg = json.load(open(os.path.join(d, "config.json")))
    t, meta = st_io.read(os.path.join(d, "model.safetensors"))
    p = {k: torch.from_numpy(v) for k, v in t.items()}
    if "model.embed_tokens.weight" not in p:  # tied weight stored as lm_head.weight only
        p["model.embed_tokens.weight"] = p[meta.get("model.embed_tokens.weight", "lm_head.weight")]
    return cfg, p


def logprobs(cfg, p, ids):
    lg = torch.log_softmax(ref_model.forward(cfg, p, torch.tensor([ids])), dim=-1)[0]
    return [float(lg[i, ids[i + 1]]) for i in range(len(ids) - 1)]


def ferrl():
    cfg, p = load("ferrl-tiny-llama-random")
    golden = json.load(open(os.path.join(ROOT, "ferrl-tiny-llama-random", "golden.json")))
    lines, worst = [], 0.0
    for case in golden["cases"].values():
        ids = torch.tensor(case["input_ids"])
        want = torch.tensor(case["logits"]).reshape(case["shape"])
        got = ref_model.forward(cfg, p, ids)
        worst = max(worst, float((got - want).abs().max()))
        for row in case["input_ids"]:
            lines.append(json.dumps({"ids": row, "logprobs": logprobs(cfg, p, row)}))
    print(f"ferrl: reference vs transformers golden logits: max |diff| {worst:.3g}")
    with open(os.path.join(ROOT, "ferrl-tiny-llama-random", "score-expected.jsonl"), "w") as f:
        f.write("\n".join(lines) + "\n")


def decode(ids, vocab):
    """SentencePiece-style pieces: '\u2581' is a space, <0xNN> a byte."""
    out = bytearray()
    for i in ids:
        piece = vocab[i]
        if piece.startswith("<0x") and piece.endswith(">") and len(piece) == 6:
            out.append(int(piece[3:5], 16))
        else:
            out += piece.replace("\u2581", " ").encode()
    return out.decode("utf-8", errors="replace")


def tinystories():
    cfg, p = load("tinystories-656k-llama")
    ids = [cfg["bos_token_id"]]
    for _ in range(40):
        logits = ref_model.forward(cfg, p, torch.tensor([ids]))[0, -1]
        ids.append(int(logits.argmax()))
    tok = json.load(open(os.path.join(ROOT, "tinystories-656k-llama", "tokenizer.json")))
    vocab = {v: k for k, v in tok["model"]["vocab"].items()}
    text = decode(ids[1:], vocab)
    print(f"tinystories greedy: {text!r}")
    with open(os.path.join(ROOT, "tinystories-656k-llama", "greedy-expected.json"), "w") as f:
        json.dump({"ids": ids, "logprobs": logprobs(cfg, p, ids), "text": text}, f)
        f.write("\n")


if __name__ == "__main__":
    torch.set_num_threads(1)
    ferrl()
    tinystories()
