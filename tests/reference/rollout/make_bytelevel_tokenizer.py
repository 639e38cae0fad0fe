"""A decode-only, byte-level form of the TinyStories tokenizer for rollout's tests.
rlpt's tokenizer reads byte-level BPE (GPT-2 / Qwen / Llama 3 style); TinyStories-656K ships a
SentencePiece-style tokenizer.json (Prepend/Replace normalizer, Replace + ByteFallback + Fuse +
Strip decoder) that it does not read yet. Decoding only needs each id's bytes, so this writes a
tokenizer.json with the SAME ids whose pieces are those bytes in GPT-2's byte-to-unicode map
('\u2581' -> ' ', '<0xNN>' -> byte NN), a ByteLevel decoder and no merges: decode(ids) equals
the SentencePiece decoding of tests/reference/rollout/make_fixtures.py (leading space kept).
Encoding with it is NOT TinyStories' encoding; tests give TinyStories prompts as ids.
Run from the repository root:
  /usr/bin/python3 tests/reference/rollout/make_bytelevel_tokenizer.py"""
import json
import os
import shutil

SRC = "tests/data/models/tinystories-656k-llama"
OUT = "tests/data/rollout/tinystories-bytelevel"


def bytes_to_unicode():
    """GPT-2's reversible byte -> printable character map (openai/gpt-2 encoder.py)."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("\xa1"), ord("\xac") + 1)) + \
        list(range(ord("\xae"), ord("\xff") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, map(chr, cs)))


def main():
    tok = json.load(open(os.path.join(SRC, "tokenizer.json")))
    b2u = bytes_to_unicode()
    special = {t["content"] for t in tok["added_tokens"]}
    vocab = {}
    for piece, i in tok["model"]["vocab"].items():
        if piece in special:
            vocab[piece] = i
            continue
        if piece.startswith("<0x") and piece.endswith(">") and len(piece) == 6:
            raw = bytes([int(piece[3:5], 16)])
        else:
            raw = piece.replace("\u2581", " ").encode()
        s = "".join(b2u[b] for b in raw)
        if s in vocab:  # two pieces with the same bytes: keep the first id, mark the other
            s = "\u0100" * 8 + str(i)  # never produced by decoding real pieces
        vocab[s] = i
    out = {
        "version": "1.0", "truncation": None, "padding": None,
        "added_tokens": tok["added_tokens"], "normalizer": None,
        "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True,
                          "use_regex": True},
        "post_processor": None,
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True,
                    "use_regex": True},
        "model": {"type": "BPE", "dropout": None, "unk_token": None,
                  "continuing_subword_prefix": None, "end_of_word_suffix": None,
                  "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
                  "vocab": vocab, "merges": []},
    }
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "tokenizer.json"), "w") as f:
        json.dump(out, f, ensure_ascii=False)
    shutil.copy(os.path.join(SRC, "tokenizer_config.json"), OUT)
    shutil.copy(os.path.join(SRC, "LICENSE-APACHE"), OUT)
    print(f"wrote {OUT}: {len(vocab)} pieces")


if __name__ == "__main__":
    main()
