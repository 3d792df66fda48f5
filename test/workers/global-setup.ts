// Vitest global setup of the workerd suite (runs in Node, once): builds the demo bundles a fresh clone lacks.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { compileCheckpointDir, writeBundleDir } from "../../src/compiler/build-model-dir";
import { buildDemoModel, buildStagedDemoModel } from "../../src/compiler/demo-model";
import { bundleDir, oracleCaseDir, oracleInt8BundleDir, oracleMode, secondBundleDir, stageMode } from "./bundles";
import { ENGINE_STAGES, engineDemoDir, STAGED_DEMOS, stagedDemoDir, TEXT_STAGES } from "./stage-workers";

async function buildDemo(out: string, seed: number): Promise<void> {
  const bundle = await buildDemoModel({ seed });
  await writeBundleDir(bundle, out);
  console.log(`built the demo bundle (seed ${seed}) at ${out}`);
}

/** Builds what is missing; a MODEL_BUNDLE_DIR that does not exist is an error, not something to generate. */
export default async function setup(): Promise<void> {
  if (oracleMode && !process.env.MODEL_BUNDLE_DIR) {
    // Always rebuilt from ../shared with the current compiler: a cached bundle could predate a compiler change.
    const model = join(oracleCaseDir, "model");
    const bundle = await compileCheckpointDir({
      from: model,
      out: bundleDir,
      adapter: join(model, "adapter.safetensors"),
      vocab: join(oracleCaseDir, "../../clip/bpe_simple_vocab_16e6.txt.gz"),
      layers: [3, 6, 9, 12],
    });
    await writeBundleDir(bundle, bundleDir);
    console.log(`compiled the oracle's tiny-gelu-224 model into ${bundleDir}`);
    const int8 = await compileCheckpointDir({
      from: model,
      out: oracleInt8BundleDir,
      adapter: join(model, "adapter.safetensors"),
      vocab: join(oracleCaseDir, "../../clip/bpe_simple_vocab_16e6.txt.gz"),
      layers: [3, 6, 9, 12],
      quant: "int8",
    });
    await writeBundleDir(int8, oracleInt8BundleDir);
    console.log(`compiled it int8-dynamic into ${oracleInt8BundleDir}`);
  }
  if (!existsSync(join(bundleDir, "manifest.json"))) {
    if (process.env.MODEL_BUNDLE_DIR) throw new Error(`no model bundle at MODEL_BUNDLE_DIR=${bundleDir}`);
    await buildDemo(bundleDir, 0);
  }
  if (!existsSync(join(secondBundleDir, "manifest.json"))) await buildDemo(secondBundleDir, 1);
  if (stageMode) {
    // Always rebuilt (a second each): the staged demos and their single-graph twin, from one compiler.
    await writeBundleDir(await buildDemoModel({ seed: 0 }), stagedDemoDir(1));
    for (const k of STAGED_DEMOS) {
      await writeBundleDir(await buildStagedDemoModel({ seed: 0, stages: k, textStages: TEXT_STAGES[k] }), stagedDemoDir(k));
    }
    console.log(`built the demo bundle in ${STAGED_DEMOS.join(" and ")} stages (and its single-graph twin)`);
    await writeBundleDir(await buildDemoModel({ seed: 0, quant: "int8" }), engineDemoDir(1));
    await writeBundleDir(await buildStagedDemoModel({ seed: 0, quant: "int8", stages: ENGINE_STAGES }), engineDemoDir(ENGINE_STAGES));
    console.log(`built the int8 demo in ${ENGINE_STAGES} stages for the engine's stage Workers (and its single graph)`);
  }
}
