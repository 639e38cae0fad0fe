// tests/reference/tokenizer/make_fixtures.mjs: makes the tokenizer fixtures with the official JS
// port of Hugging Face tokenizers (@huggingface/tokenizers, pinned in package.json).
//
//   cd tests/reference/tokenizer && npm ci
//   node make_fixtures.mjs --data DATA_DIR   # rebuild strings.jsonl from GSM8K/MATH/HumanEval/MBPP
//   node make_fixtures.mjs                   # only re-run the tokenizers on strings.jsonl
//
// DATA_DIR holds gsm8k/test.jsonl, math500/test.jsonl, humaneval/HumanEval.jsonl, mbpp/mbpp.jsonl
// (see tests/data/tokenizers/strings/SOURCES.md). Writes, under tests/data/tokenizers/:
//   strings/strings.jsonl       {"src", "text"} or {"src", "hex"} (raw bytes, may be invalid UTF-8)
//   <tok>/encode.jsonl          first a header {"prefix": P}, P = decode(encode("").ids) (Llama's
//                               "<|begin_of_text|>"); then one line per string: {"ids"} plus "dec"
//                               when decode(ids) != P + text and "skip" when
//                               decode(ids, {skip_special_tokens: true}) != text (both always
//                               for hex strings)
//   <tok>/decode.jsonl          {"ids", "dec", "skip"} for seeded random id sequences
// Strings given as hex are decoded as a browser/Python would (TextDecoder, invalid -> U+FFFD)
// before encoding: that is what the C side must reproduce from the raw bytes.
import fs from "node:fs";
import path from "node:path";
import { Tokenizer } from "@huggingface/tokenizers";

const here = path.dirname(new URL(import.meta.url).pathname);
const root = path.resolve(here, "../../data/tokenizers");
const TOKENIZERS = ["qwen2.5-math-1.5b", "deepseek-r1-distill-qwen-32b", "llama-3.2-3b-instruct", "qwen3-4b", "rlpt-tiny",
  "synth-charbpe-fallback", "synth-charbpe-unk", "synth-gpt2"];

// Where tokenizers.js is known to differ from the Rust tokenizers library (which rlpt follows),
// a string gets {"ids": null, "why": ...} instead of ids, and the C test skips and counts it.
const JS_DIGITS = "tokenizers.js's Digits uses JS \\d (ASCII); Rust and rlpt split on char::is_numeric";
const JS_SPACE = "tokenizers.js's ByteLevel regex uses JS \\s (U+FEFF, not U+0085); Rust and rlpt use White_Space";
const DIVERGES = {
  "synth-charbpe-fallback": (t) => (/[^\x00-\x7f]/u.test(t.normalize("NFKC").replace(/[^\p{N}]/gu, "")) ? JS_DIGITS : null),
  "synth-charbpe-unk": (t) => (/[^\x00-\x7f]/u.test(t.normalize("NFKC").replace(/[^\p{N}]/gu, "")) ? JS_DIGITS : null),
  "synth-gpt2": (t) => (/[\u0085\ufeff]/u.test(t) ? JS_SPACE : null),
};

const args = process.argv.slice(2);
const dataDir = args[0] === "--data" ? args[1] : null;

function readJsonl(p) {
  return fs.readFileSync(p, "utf8").split("\n").filter((l) => l.length).map((l) => JSON.parse(l));
}

// Non-English prose written for these tests (no third-party text).
const PROSE = [
  "今日は天気がいいので、公園を散歩しました。桜の花がとてもきれいでした。",
  "この問題を解くには、まず両辺に3を掛けてから、xについて整理します。",
  "東京から大阪まで新幹線で約二時間半かかります。",
  "彼女は毎朝六時に起きて、コーヒーを飲みながら新聞を読む。",
  "数学の答えは42です。計算過程を確認してください。",
  "我们今天学习了二次方程的解法，老师讲得非常清楚。",
  "这个城市的人口大约有一千两百万，交通非常拥挤。",
  "请一步一步地推理，并把最终答案写在方框里。",
  "他昨天买了三本书，每本二十五元，一共花了七十五元。",
  "中文、日本語、한국어混合的文本也需要正确处理。",
  "ذهبت إلى السوق واشتريت خمسة كيلوغرامات من التفاح.",
  "الرياضيات هي لغة العلوم، وهي مهمة جدا للطلاب.",
  "إذا كان س + ٣ = ٧، فما قيمة س؟",
  "القطة تنام على الأريكة بجانب النافذة.",
  "मैं हर सुबह सात बजे उठता हूँ और योग करता हूँ।",
  "इस प्रश्न का उत्तर बारह है, क्योंकि ३ गुणा ४ बराबर १२ होता है।",
  "भारत एक विशाल देश है जिसमें कई भाषाएँ बोली जाती हैं।",
  "किताब मेज़ पर रखी है।",
  "오늘 아침에 친구와 함께 커피를 마셨습니다.",
  "이 문제의 답은 이십사입니다. 풀이 과정을 보여 주세요.",
  "서울은 한국의 수도이며 인구가 매우 많습니다.",
  "한글은 세종대왕이 만든 글자입니다.",
  "วันนี้อากาศดีมาก เราจึงไปเดินเล่นที่สวนสาธารณะ",
  "คำตอบของโจทย์ข้อนี้คือสิบห้า",
  "ประเทศไทยมีชื่อเสียงเรื่องอาหารที่อร่อย",
  "ฉันชอบอ่านหนังสือก่อนนอนทุกคืน",
  "Привет, как дела? Сегодня хорошая погода.",
  "Ελληνικά: η απάντηση είναι δεκαπέντε.",
  "עברית: התשובה היא שתים עשרה.",
  "Tiếng Việt: câu trả lời là mười lăm.",
];

const EDGE = [
  "", " ", "  ", "a", "\n", "\t", "\r\n", "\r", "\n\n\n\n", "\t\t\tindented", "a\tb\tc",
  "line1\r\nline2\r\nline3\r\n", "mixed \r\n\t \n end", " ".repeat(50), "word" + " ".repeat(17) + "word",
  "  leading spaces", "trailing spaces   ", "\u00a0non-breaking\u00a0space", "ideographic\u3000space",
  "next\u0085line", "line\u2028separator", "para\u2029graph", "zero\u200bwidth", "joiner\u200dalone",
  "\ufeffBOM at start", "nul\u0000byte", "bell\u0007 del\u007f", "esc\u001b[0m",
  "1234567890".repeat(10), "3.14159265358979323846264338327950288419716939937510",
  "12,345,678.90", "1e-10", "0x1F2E3D", "2024-01-01T12:34:56Z", "$1,000,000", "100%",
  "漢字かな交じり文", "中文测试", "𠀀𠀁𠀂 (CJK extension B)", "ｆｕｌｌｗｉｄｔｈ　ＡＢＣ１２３",
  "👨‍👩‍👧‍👦 family", "🏳️‍🌈 flag", "👍🏽 thumbs", "😀😃😄😁", "🇯🇵🇺🇸", "❤️‍🔥", "emoji🙂in🙃text",
  "e\u0301 combining acute", "n\u0303", "A\u030A vs \u00C5", "\u1100\u1161\u11A8 jamo", "o\u0308\u0301",
  "Z\u0351\u0364\u0368\u0342 zalgo", "\u0915\u094D\u0937 conjunct", "ǅ ß İ ı ﬁ ﬀ", "①②③ ½ ¾ x² H₂O",
  "٣٤٥ Arabic-Indic digits", "१२३ Devanagari digits", "Ⅻ roman numeral",
  "I'm", "don't", "WE'LL", "she's", "they've", "you'd", "it'ſ", "'S 'T 'RE", "'''", "rock'n'roll",
  "<|endoftext|>", "Hello<|endoftext|>World", "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n",
  "<think>\nreasoning\n</think>\n<answer>42</answer>", "a<think>b</think>c", "<|begin_of_text|>hi",
  "<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHello", "<｜User｜>hi<｜Assistant｜>",
  "<｜begin▁of▁sentence｜>x<｜end▁of▁sentence｜>", "<|im_start", "<<|im_end|>>", "<|im_end|><|im_end|>",
  "<tool_call>\n{\"name\": \"f\"}\n</tool_call>", "<|fim_prefix|>def f(<|fim_suffix|>)<|fim_middle|>",
  "    def f(x):\n        return x * 2\n", "if (a && b) { return; }", "```python\nprint('hi')\n```",
  "for i in range(10):\n\tprint(i)", "x = [1, 2, 3]  # comment", "#include <stdio.h>",
  "\\frac{1}{2} + \\sqrt{3}", "$\\boxed{42}$", "\\begin{align*} x &= 1 \\\\ y &= 2 \\end{align*}",
  "a".repeat(3000), "ab".repeat(500), "the ".repeat(300), "Ġ Ċ ĉ", "\u0100\u0101\u0120",
  "Hello, world! How are you?", "Hello .", "Hello , world ! Isn 't it ?", "He said ' hi ' to me",
  "a-b_c.d/e\\f", "😀".repeat(40), "ÿþý", "\u00ad soft hyphen",
  // added tokens of the synthetic tokenizers: lstrip/rstrip, normalized (NFKC) contents
  "a [MASK] b", "x   [MASK]\t\n  y", "[MASK][MASK]", "left  <sep>  right", "Hiya there Ｈｉｙａ!",
  "[[x]]   after [[x]]", "text <pad>   padded", " <|endoftext|> ", "ＨｉｙａHiya", "\u3000[MASK]\u3000",
];
// Raw byte strings (hex), mostly invalid UTF-8.
const EDGE_HEX = [
  "ff", "c3", "e282", "f09f98", "eda080", "c0af", "8081", "f4908080", "61ff62", "e282ac",
  "f09f9880", "c328a1", "e228a1", "f0288cbc", "fe", "efbfbd", "61c3", "c3a9c3", "41e2828242",
];

function buildStrings(dir) {
  const out = [];
  const add = (src, text) => out.push({ src, text });
  const gsm = readJsonl(path.join(dir, "gsm8k/test.jsonl"));
  gsm.slice(0, 400).forEach((r) => add("gsm8k", r.question));
  gsm.slice(400, 600).forEach((r) => add("gsm8k", r.answer));
  const math = readJsonl(path.join(dir, "math500/test.jsonl"));
  math.slice(0, 400).forEach((r) => add("math500", r.problem));
  math.slice(0, 200).forEach((r) => add("math500", r.solution));
  const he = readJsonl(path.join(dir, "humaneval/HumanEval.jsonl"));
  he.forEach((r) => add("humaneval", r.prompt));
  he.slice(0, 80).forEach((r) => add("humaneval", r.canonical_solution));
  const mbpp = readJsonl(path.join(dir, "mbpp/mbpp.jsonl"));
  mbpp.slice(0, 300).forEach((r) => add("mbpp", r.text));
  mbpp.slice(0, 150).forEach((r) => add("mbpp", r.code));
  PROSE.forEach((t) => add("prose", t));
  for (let i = 0; i + 1 < PROSE.length; i += 2) add("prose", PROSE[i] + " " + PROSE[i + 1]);
  EDGE.forEach((t) => add("edge", t));
  EDGE_HEX.forEach((h) => out.push({ src: "edge", hex: h }));
  return out;
}

function textOf(rec) {
  if (rec.text !== undefined) return rec.text;
  return new TextDecoder("utf-8", { fatal: false, ignoreBOM: true }).decode(Buffer.from(rec.hex, "hex"));
}

// A small deterministic PRNG (xorshift32) for the decode cases.
function rng(seed) {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    return x;
  };
}

const stringsPath = path.join(root, "strings/strings.jsonl");
if (dataDir) {
  fs.mkdirSync(path.dirname(stringsPath), { recursive: true });
  const recs = buildStrings(dataDir);
  fs.writeFileSync(stringsPath, recs.map((r) => JSON.stringify(r)).join("\n") + "\n");
  console.log(`wrote ${recs.length} strings to ${stringsPath}`);
}
const recs = readJsonl(stringsPath);

for (const name of TOKENIZERS) {
  const dir = path.join(root, name);
  if (!fs.existsSync(path.join(dir, "tokenizer.json"))) {
    console.log(`skip ${name}: no tokenizer.json`);
    continue;
  }
  const tj = JSON.parse(fs.readFileSync(path.join(dir, "tokenizer.json"), "utf8"));
  const tc = JSON.parse(fs.readFileSync(path.join(dir, "tokenizer_config.json"), "utf8"));
  const tok = new Tokenizer(tj, tc);
  const e0 = tok.encode("").ids;
  const prefix = e0.length ? tok.decode(e0) : "";
  const lines = [JSON.stringify({ prefix })];
  let roundtrip = 0;
  for (const rec of recs) {
    const text = textOf(rec);
    // The synthetic tokenizers are character-level (long id lists): a tenth of the dataset
    // strings and all prose and edge cases keep their fixtures small.
    const index = lines.length - 1;
    const why = name.startsWith("synth-") && !["prose", "edge"].includes(rec.src) && index % 10 !== 0
      ? "outside the synthetic subset"
      : DIVERGES[name] ? DIVERGES[name](text) : null;
    if (why) {
      lines.push(JSON.stringify({ ids: null, why }));
      continue;
    }
    const ids = tok.encode(text).ids;
    const o = { ids };
    if (ids.length) {
      const dec = tok.decode(ids);
      const skip = tok.decode(ids, { skip_special_tokens: true });
      if (dec !== prefix + text || rec.hex) o.dec = dec;
      else roundtrip++;
      if (skip !== text || rec.hex) o.skip = skip;
    } else if (text !== "") {
      throw new Error(`${name}: no ids for a non-empty string`);
    }
    lines.push(JSON.stringify(o));
  }
  fs.writeFileSync(path.join(dir, "encode.jsonl"), lines.join("\n") + "\n");
  // Random id sequences: split multi-byte characters, mix in added/special tokens.
  const next = rng(12345);
  const vocab = tok.get_vocab(true).size;
  const added = tj.added_tokens.map((a) => a.id);
  const dlines = [];
  for (let k = 0; k < 300; k++) {
    const n = 1 + (next() % 12);
    const ids = [];
    for (let i = 0; i < n; i++) {
      const r = next() % 10;
      ids.push(r === 0 && added.length ? added[next() % added.length] : r < 4 ? next() % Math.min(vocab, 512) : next() % vocab);
    }
    const dec = tok.decode(ids);
    const skip = tok.decode(ids, { skip_special_tokens: true });
    dlines.push(JSON.stringify({ ids, dec, skip }));
  }
  fs.writeFileSync(path.join(dir, "decode.jsonl"), dlines.join("\n") + "\n");
  console.log(`${name}: ${recs.length} strings, decode(encode(s)) == prefix + s for ${roundtrip}; 300 decode cases`);
}
