"""Makes tests/data/bad-checkpoints/: one tiny model directory per way a checkpoint can be
broken, and EXPECTED listing, per directory, the error code and a part of the message that
policy_model_load must give. Run from the repository root:
  /usr/bin/python3 tests/reference/model/make_bad_checkpoints.py"""
import json
import os
import shutil
import struct
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
import ref_model  # noqa: E402

OUT = "tests/data/bad-checkpoints"
CFG = dict(model_type="llama", hidden_size=4, intermediate_size=6, num_hidden_layers=1,
           num_attention_heads=2, num_key_value_heads=1, head_dim=2, vocab_size=5,
           tie_word_embeddings=True, torch_dtype="float32")


def tensors():
    rng = np.random.default_rng(7)
    return {n: rng.standard_normal(s).astype(np.float32) for n, s in ref_model.param_names(CFG)}


def header_and_data(ts, dtype="F32"):
    header, blobs, off = {}, [], 0
    for name, arr in ts.items():
        b = arr.astype("<f4").tobytes()
        header[name] = {"dtype": dtype, "shape": list(arr.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    return header, b"".join(blobs)


def pack(header_text, data):
    h = header_text.encode() if isinstance(header_text, str) else header_text
    return struct.pack("<Q", len(h)) + h + data


def case(name, blob, cfg=CFG):
    d = os.path.join(OUT, name)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump(cfg, f, indent=1)
    with open(os.path.join(d, "model.safetensors"), "wb") as f:
        f.write(blob)


def main():
    shutil.rmtree(OUT, ignore_errors=True)
    ts = tensors()
    h, data = header_and_data(ts)
    good = pack(json.dumps(h), data)
    expected = []

    def add(name, blob, code, text, cfg=CFG):
        case(name, blob, cfg)
        expected.append(f"{name}\t{code}\t{text}")

    add("truncated", good[:len(good) - 10], "EFORMAT",
        f"goes beyond the {len(data) - 10} bytes of data in the file (truncated?)")
    add("header-beyond-file", struct.pack("<Q", 1 << 20) + good[8:], "EFORMAT",
        "header length 1048576 goes beyond the end of the file")
    add("too-short", b"\x01\x02", "EFORMAT", "too short for a safetensors file")
    add("bad-json", pack(json.dumps(h)[:-5] + "     ", data), "EFORMAT", "bad JSON")
    add("header-trailing-bytes", pack(json.dumps(h) + "x" * 7, data), "EFORMAT",
        "bytes after the header's JSON object")
    h2 = json.loads(json.dumps(h))
    h2["model.norm.weight"]["dtype"] = "Q4"
    add("unknown-dtype", pack(json.dumps(h2), data), "EFORMAT",
        "tensor 'model.norm.weight': unknown dtype 'Q4'")
    h2 = json.loads(json.dumps(h))
    n = "model.layers.0.input_layernorm.weight"
    h2[n]["dtype"] = "I32"
    add("unsupported-dtype", pack(json.dumps(h2), data), "EUNSUPPORTED",
        f"tensor '{n}': dtype I32 is not supported")
    cfg = dict(CFG, intermediate_size=7)
    add("shape-mismatch", good, "EFORMAT",
        "tensor 'model.layers.0.mlp.gate_proj.weight' has shape [6, 4] but config.json implies [7, 4]",
        cfg)
    ts2 = dict(ts)
    del ts2["model.layers.0.self_attn.v_proj.weight"]
    add("missing-tensor", pack(json.dumps(header_and_data(ts2)[0]), header_and_data(ts2)[1]),
        "EFORMAT", "tensor 'model.layers.0.self_attn.v_proj.weight' is missing")
    text = json.dumps(h)
    dup = '"model.norm.weight": ' + json.dumps(h["model.norm.weight"])
    add("duplicate-tensor", pack(text[:-1] + ", " + dup + "}", data), "EFORMAT",
        "tensor 'model.norm.weight' appears twice")
    h2 = json.loads(json.dumps(h))
    h2["model.norm.weight"]["data_offsets"] = [0, 16]
    add("overlap", pack(json.dumps(h2), data), "EFORMAT", "overlap")
    h2 = json.loads(json.dumps(h))
    b, e = h2["model.norm.weight"]["data_offsets"]
    h2["model.norm.weight"]["data_offsets"] = [b + 2, e + 2]
    add("misaligned", pack(json.dumps(h2), data + b"\0\0"), "EFORMAT", "is misaligned for F32")
    h2 = json.loads(json.dumps(h))
    h2["model.norm.weight"]["data_offsets"] = [len(data), len(data) + 16]
    add("out-of-file", pack(json.dumps(h2), data), "EFORMAT",
        "tensor 'model.norm.weight': data [")
    h2 = json.loads(json.dumps(h))
    h2["model.norm.weight"]["shape"] = [5]
    add("size-not-shape", pack(json.dumps(h2), data), "EFORMAT",
        "tensor 'model.norm.weight': 16 bytes of data but its shape and dtype F32 need 20")
    ts2 = dict(ts, **{"model.layers.0.mlp.experts.0.weight": np.zeros(4, np.float32)})
    h2, d2 = header_and_data(ts2)
    add("unexpected-tensor", pack(json.dumps(h2), d2), "EFORMAT",
        "unexpected tensor 'model.layers.0.mlp.experts.0.weight'")
    add("unsupported-rope", good, "EUNSUPPORTED", "field 'rope_scaling.rope_type' is 'yarn'",
        dict(CFG, rope_scaling={"rope_type": "yarn", "factor": 4.0}))
    add("missing-hidden-size", good, "EFORMAT", "field 'hidden_size' is missing",
        {k: v for k, v in CFG.items() if k != "hidden_size"})
    # sharded: an index naming a file outside the directory, and one naming a missing shard
    for name, shard, code, text in (
            ("index-bad-filename", "../model.safetensors", "EFORMAT", "maps to a bad file name"),
            ("index-missing-shard", "model-00002-of-00002.safetensors", "EIO",
             "model-00002-of-00002.safetensors: cannot open")):
        case(name, good)
        d = os.path.join(OUT, name)
        os.rename(os.path.join(d, "model.safetensors"),
                  os.path.join(d, "model-00001-of-00002.safetensors"))
        wm = {n: "model-00001-of-00002.safetensors" for n in ts}
        wm["model.norm.weight"] = shard
        with open(os.path.join(d, "model.safetensors.index.json"), "w") as f:
            json.dump({"metadata": {"total_size": len(data)}, "weight_map": wm}, f, indent=1)
        expected.append(f"{name}\t{code}\t{text}")
    with open(os.path.join(OUT, "EXPECTED"), "w") as f:
        f.write("# directory\terror code\tpart of the message (made by "
                "tests/reference/model/make_bad_checkpoints.py)\n")
        f.write("\n".join(expected) + "\n")


if __name__ == "__main__":
    main()
