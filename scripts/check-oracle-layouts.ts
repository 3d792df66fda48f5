// Ad-hoc check: both layouts (open_clip, HF) of each oracle case map to identical ClipCheckpoints; adapters parse.
import { join } from "node:path";
import { archOf } from "../src/compiler/checkpoint/clip-arch";
import { toOpenClipTensors } from "../src/compiler/checkpoint/open-clip-layout";
import { readAdapterFile, readCheckpointDir } from "../src/compiler/checkpoint/read-checkpoint-dir";

const ORACLE = process.argv[2] ?? join(import.meta.dirname, "../../shared/oracle");
const CASES = ["tiny-gelu-224", "tiny-quickgelu-336"];

let failures = 0;
for (const name of CASES) {
  const dir = join(ORACLE, name, "model");
  const oc = await readCheckpointDir(dir, { layout: "open_clip" });
  const hf = await readCheckpointDir(dir, { layout: "hf" });
  const problems: string[] = [];
  if (JSON.stringify(archOf(oc)) !== JSON.stringify(archOf(hf))) problems.push(`arch differs: ${JSON.stringify(archOf(oc))} vs ${JSON.stringify(archOf(hf))}`);
  if (JSON.stringify([oc.mean, oc.std]) !== JSON.stringify([hf.mean, hf.std])) problems.push("mean/std differ");
  const a = toOpenClipTensors(oc).tensors;
  const b = toOpenClipTensors(hf).tensors;
  let compared = 0;
  for (const key of Object.keys(a)) {
    const x = a[key]!.data;
    const y = b[key]!.data;
    compared += x.length;
    if (x.length !== y.length || x.some((v, i) => !Object.is(v, y[i]))) problems.push(`tensor ${key} differs`);
  }
  const adapters = await readAdapterFile(join(dir, "adapter.safetensors"), { width: oc.vision.width, embedDim: oc.embedDim });
  const arch = archOf(oc);
  console.log(
    `${name}: ${problems.length === 0 ? "IDENTICAL" : "DIFFERENT"} (${Object.keys(a).length} tensors, ${compared} floats); ` +
      `activation ${arch.activation}, vision ${arch.vision.width}x${arch.vision.layers} heads ${arch.vision.heads} patch ${arch.vision.patchSize} @${arch.vision.imageSize}, ` +
      `text ${arch.text.width}x${arch.text.layers} heads ${arch.text.heads}, embed ${arch.embedDim}; ${adapters.weights.length} adapters; ` +
      `files ${oc.source.files.join("+")} / ${hf.source.files.join("+")}`,
  );
  for (const p of problems.slice(0, 10)) console.log(`  ${p}`);
  failures += problems.length;
}
if (failures > 0) process.exit(1);
