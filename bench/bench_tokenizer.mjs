// bench/bench_tokenizer.mjs: the peer of bench_tokenizer.c: @huggingface/tokenizers (the JS port
// of Hugging Face tokenizers, from tests/reference/tokenizer/node_modules; run `npm ci` there)
// encoding the same GSM8K + MATH-500 strings: a first pass on a fresh Tokenizer (empty cache)
// and 5 warm passes, one thread. Prints MB/s and the id count.
// usage: node bench_tokenizer.mjs STRINGS.jsonl TOKENIZER_DIR...
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";

const here = path.dirname(new URL(import.meta.url).pathname);
const require = createRequire(path.join(here, "../tests/reference/tokenizer/package.json"));
const { Tokenizer } = require("@huggingface/tokenizers");

const [stringsPath, ...dirs] = process.argv.slice(2);
const texts = fs.readFileSync(stringsPath, "utf8").split("\n").filter((l) => l)
  .map((l) => JSON.parse(l)).filter((r) => r.src === "gsm8k" || r.src === "math500").map((r) => r.text);
const bytes = texts.reduce((a, t) => a + Buffer.byteLength(t, "utf8"), 0);
console.log(`tokenizers.js (Node ${process.version}): ${texts.length} strings, ${(bytes / 1e6).toFixed(3)} MB`);
for (const dir of dirs) {
  const tj = JSON.parse(fs.readFileSync(path.join(dir, "tokenizer.json"), "utf8"));
  const tc = JSON.parse(fs.readFileSync(path.join(dir, "tokenizer_config.json"), "utf8"));
  let t0 = performance.now();
  const tok = new Tokenizer(tj, tc);
  const load = (performance.now() - t0) / 1e3;
  let ids = 0;
  t0 = performance.now();
  for (const t of texts) ids += tok.encode(t, { add_special_tokens: false }).ids.length;
  const cold = bytes / 1e6 / ((performance.now() - t0) / 1e3);
  const passes = 5;
  t0 = performance.now();
  for (let p = 0; p < passes; p++) for (const t of texts) tok.encode(t, { add_special_tokens: false });
  const warm = (passes * bytes) / 1e6 / ((performance.now() - t0) / 1e3);
  const name = path.basename(dir);
  console.log(`tokenizers.js ${name.padEnd(30)} load ${load.toFixed(2)} s, first pass ${cold.toFixed(2)} MB/s, warm ${warm.toFixed(2)} MB/s (1 thread), ${ids} ids`);
  console.log(`RESULT ${name} ${cold.toFixed(4)} ${warm.toFixed(4)} ${ids}`);
}
