// tests/reference/tokenizer/make_synthetic.mjs: writes small synthetic tokenizer.json files that
// use the parts of the format the real tokenizers do not: NFKC, Split with a String pattern and
// with Removed, Digits, a character-level (not byte-level) BPE with byte_fallback or unk,
// added tokens with lstrip/rstrip and normalized contents, TemplateProcessing with a trailing
// token, and GPT-2's ByteLevel(add_prefix_space, use_regex). make_fixtures.mjs then encodes the
// test strings with them through @huggingface/tokenizers like the real ones.
//   node make_synthetic.mjs
import fs from "node:fs";
import path from "node:path";

const here = path.dirname(new URL(import.meta.url).pathname);
const root = path.resolve(here, "../../data/tokenizers");

const added = (id, content, o = {}) => ({
  id, content, single_word: false, lstrip: o.lstrip ?? false, rstrip: o.rstrip ?? false,
  normalized: o.normalized ?? false, special: o.special ?? false,
});

function charBpe(byteFallback) {
  const vocab = { "<unk>": 0, "<s>": 1, "</s>": 2 };
  let id = 3;
  for (let b = 0; b < 256; b++) vocab[`<0x${b.toString(16).toUpperCase().padStart(2, "0")}>`] = id++;
  for (let c = 0x20; c < 0x7f; c++) vocab[String.fromCharCode(c)] = id++;
  for (const c of ["é", "ß", "中", "文", "…"]) vocab[c] = id++;
  const merges = [["t", "h"], ["th", "e"], ["i", "n"], ["in", "g"], ["e", "r"], ["a", "n"],
    ["o", "n"], ["r", "e"], ["e", "s"], ["i", "s"], ["a", "t"], ["e", "n"], ["o", "r"],
    ["an", "d"], ["H", "e"], ["He", "l"], ["Hel", "l"], ["Hell", "o"], ["中", "文"], ["w", "h"],
    ["wh", "at"], ["at", "e"], ["s", "t"], ["o", "u"], ["ou", "t"]];
  for (const [a, b] of merges) if (!(a + b in vocab)) vocab[a + b] = id++;
  const n = id;
  return {
    version: "1.0", truncation: null, padding: null,
    added_tokens: [
      added(0, "<unk>", { special: true }), added(1, "<s>", { special: true }),
      added(2, "</s>", { special: true }),
      added(n, "[MASK]", { lstrip: true, rstrip: true, special: true }),
      added(n + 1, "<sep>", { lstrip: true, special: true }),
      added(n + 2, "Ｈｉｙａ", { normalized: true }),
      added(n + 3, "[[x]]", { rstrip: true }),
    ],
    normalizer: { type: "Sequence", normalizers: [{ type: "NFKC" }] },
    pre_tokenizer: { type: "Sequence", pretokenizers: [
      { type: "Split", pattern: { Regex: "\\t+" }, behavior: "Removed", invert: false },
      { type: "Split", pattern: { String: " " }, behavior: "Isolated", invert: false },
      { type: "Digits", individual_digits: true },
    ] },
    post_processor: {
      type: "TemplateProcessing",
      single: [{ SpecialToken: { id: "<s>", type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } },
        { SpecialToken: { id: "</s>", type_id: 0 } }],
      pair: [{ Sequence: { id: "A", type_id: 0 } }, { Sequence: { id: "B", type_id: 1 } }],
      special_tokens: { "<s>": { id: "<s>", ids: [1], tokens: ["<s>"] },
        "</s>": { id: "</s>", ids: [2], tokens: ["</s>"] } },
    },
    decoder: null,
    model: { type: "BPE", dropout: null, unk_token: "<unk>", continuing_subword_prefix: null,
      end_of_word_suffix: null, fuse_unk: false, byte_fallback: byteFallback, ignore_merges: false,
      vocab, merges },
  };
}

function gpt2() {
  // GPT-2's byte alphabet, as in tokenizers' bytes_char.
  const bs = [];
  for (let b = 0x21; b <= 0x7e; b++) bs.push(b);
  for (let b = 0xa1; b <= 0xac; b++) bs.push(b);
  for (let b = 0xae; b <= 0xff; b++) bs.push(b);
  const cs = bs.slice();
  let k = 0;
  for (let b = 0; b < 256; b++) if (!bs.includes(b)) { bs.push(b); cs.push(256 + k++); }
  const ch = {};
  bs.forEach((b, i) => { ch[b] = String.fromCodePoint(cs[i]); });
  const vocab = {};
  for (let b = 0; b < 256; b++) vocab[ch[b]] = b;
  let id = 256;
  const G = ch[0x20];
  const merges = [[G, "t"], ["h", "e"], [G + "t", "he"], ["i", "n"], [G, "a"], ["e", "r"],
    ["o", "n"], [G, "1"], [G, "s"], ["in", "g"], [G, "w"], [G + "w", "h"], ["a", "t"],
    [G + "wh", "at"], ["r", "e"], [G, G], [G + G, G + G], ["e", "s"], [G, "i"], [G + "i", "s"]];
  for (const [a, b] of merges) if (!(a + b in vocab)) vocab[a + b] = id++;
  const bl = (extra) => ({ type: "ByteLevel", add_prefix_space: true, trim_offsets: true, use_regex: true, ...extra });
  return {
    version: "1.0", truncation: null, padding: null,
    added_tokens: [added(id, "<|endoftext|>", { special: true }), added(id + 1, "<pad>", { rstrip: true, special: true })],
    normalizer: null,
    pre_tokenizer: bl(),
    post_processor: bl(),
    decoder: bl(),
    model: { type: "BPE", dropout: null, unk_token: null, continuing_subword_prefix: "",
      end_of_word_suffix: "", fuse_unk: false, byte_fallback: false, vocab,
      merges: merges.map(([a, b]) => `${a} ${b}`) },
  };
}

const configs = {
  "synth-charbpe-fallback": [charBpe(true), { clean_up_tokenization_spaces: false, bos_token: "<s>", eos_token: "</s>" }],
  "synth-charbpe-unk": [charBpe(false), { clean_up_tokenization_spaces: true, unk_token: "<unk>" }],
  "synth-gpt2": [gpt2(), { eos_token: "<|endoftext|>" }],
};
for (const [name, [tj, tc]] of Object.entries(configs)) {
  const dir = path.join(root, name);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, "tokenizer.json"), JSON.stringify(tj, null, 2));
  fs.writeFileSync(path.join(dir, "tokenizer_config.json"), JSON.stringify(tc, null, 2));
  console.log(`wrote ${dir}`);
}
