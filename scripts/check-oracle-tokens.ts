// Ad-hoc check: our CLIP tokenizer vs the oracle's golden token ids (needs ../shared).
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { gunzipSync, strFromU8 } from "fflate";
import { createClipTokenizer } from "../src/engine/tokenizer/clip-tokenizer";

const shared = process.argv[2] ?? join(process.cwd(), "..", "shared");
const merges = strFromU8(gunzipSync(readFileSync(join(shared, "clip/bpe_simple_vocab_16e6.txt.gz"))));
const tok = createClipTokenizer(merges);
console.log(`vocab size ${tok.vocabSize}, sot ${tok.sot}, eot ${tok.eot}`);
let failures = 0;
if (tok.vocabSize !== 49408 || tok.sot !== 49406 || tok.eot !== 49407) failures++;

for (const oracleCase of ["tiny-gelu-224", "tiny-quickgelu-336"]) {
  const manifestPath = join(shared, "oracle", oracleCase, "golden", "manifest.json");
  const manifest = JSON.parse(readFileSync(manifestPath, "utf8"));
  const sentences: string[] = manifest.params.token_sample;
  const entry = manifest.arrays["tokens/sample"];
  const raw = readFileSync(join(dirname(manifestPath), entry.file));
  const golden = new Int32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4);
  const ours = tok.tokenize(sentences);
  console.log(`\n${oracleCase}: golden shape ${JSON.stringify(entry.shape)}`);
  console.log("| # | sentence | ids (non-pad) | identical |");
  console.log("|---|---|---|---|");
  sentences.forEach((s, i) => {
    const g = golden.subarray(i * 77, (i + 1) * 77);
    const o = ours.subarray(i * 77, (i + 1) * 77);
    const same = g.every((v, k) => v === o[k]);
    if (!same) failures++;
    const ids = Array.from(o).filter((v) => v !== 0);
    console.log(`| ${i} | ${JSON.stringify(s)} | ${ids.join(" ")} | ${same ? "yes" : `NO golden ${Array.from(g).filter((v) => v !== 0).join(" ")}`} |`);
  });
}
console.log(failures === 0 ? "\nALL IDENTICAL" : `\n${failures} FAILURE(S)`);
process.exit(failures === 0 ? 0 : 1);
