// The image tower run stage by stage (in this process) gives the single graph's encoding and analyses, and a stage
// reads only its own files.
import { beforeAll, describe, expect, it } from "vitest";
import { buildDemoModel, buildStagedDemoModel } from "../../../src/compiler/demo-model";
import type { CompiledStagedBundle } from "../../../src/compiler/compile-bundle";
import { buildMemory, type FewShotMemory } from "../../../src/engine/detector/analyse";
import { type ImageTower, singleGraphTower } from "../../../src/engine/detector/image-tower";
import type { ReferenceShots } from "../../../src/engine/detector/reference-shots";
import { fewShotDistances } from "../../../src/engine/runtime/clip-encoders";
import { memoryBundleReader } from "../../../src/engine/runtime/memory-bundle-reader";
import { BundleError, ModelBundle } from "../../../src/engine/runtime/model-bundle";
import { inProcessStageRunner } from "../../../src/engine/staging/in-process-runner";
import type { BankSource } from "../../../src/engine/staging/run-stage";
import type { FewShotBankKey, StageRunner, StageShotsItem } from "../../../src/engine/staging/stage-port";
import { imageStageLayout } from "../../../src/engine/staging/image-stage-layout";
import { checkStageShotsCall, runImageStageShots } from "../../../src/engine/staging/run-stage-shots";
import { byteStreamToRecords, float32Records, recordsToByteStream } from "../../../src/platform/byte-record-stream";
import { serviceBindingStageRunner } from "../../../src/platform/service-binding-stages";
import { type ImageStageRpc, shotsInputRecordBytes, shotsItemsToRecords } from "../../../src/platform/stage-wire";
import { calibrateFromLeaveOneOut } from "../../../src/engine/anomaly/calibration";
import { encodeF16Clamped } from "../../../src/shared/float16";
import { stagedTower } from "../../../src/engine/staging/staged-tower";
import { openInMemory, relativeError, seededUniform } from "../../helpers/tiny-bundle";

const BANK: FewShotBankKey = { tenant: "t", referenceSet: "rs_1", modelHash: "h", promptSet: "p" };

function openStaged(staged: CompiledStagedBundle, reads?: string[]): Promise<ModelBundle> {
  const inner = memoryBundleReader(staged.files, staged.manifest);
  return ModelBundle.open({
    read: (path) => {
      reads?.push(path);
      return inner.read(path);
    },
  });
}

function unitTextFeatures(embedDim: number, seed: number): Float32Array {
  const t = seededUniform(2 * embedDim, seed);
  for (const c of [0, 1]) {
    let n = 0;
    for (let i = 0; i < embedDim; i++) n += t[2 * i + c]! ** 2;
    for (let i = 0; i < embedDim; i++) t[2 * i + c]! /= Math.sqrt(n);
  }
  return t;
}

let single: ImageTower;
let singleBundle: ModelBundle;
let memory: FewShotMemory;
const pixels = seededUniform(3 * 224 * 224, 11, -2, 2);
let text: Float32Array;
const banks: BankSource = async (key, layers) => {
  expect(key).toEqual(BANK);
  return new Map(layers.map((l) => [l, memory.get(l)!]));
};

beforeAll(async () => {
  singleBundle = await openInMemory(await buildDemoModel());
  single = singleGraphTower(singleBundle);
  text = unitTextFeatures(singleBundle.manifest.architecture.embedDim, 3);
  const shots = [];
  for (const seed of [21, 22, 23, 24]) shots.push(await single.encode(seededUniform(3 * 224 * 224, seed, -2, 2)));
  memory = buildMemory(singleBundle, shots);
}, 60_000); // builds the demo model: well past the default 10 s on a loaded machine

describe.each([2, 3])("demo model in %i stages, in process", (k) => {
  let staged: CompiledStagedBundle;
  let tower: ImageTower;
  beforeAll(async () => {
    staged = await buildStagedDemoModel({ stages: k });
    tower = stagedTower(await openStaged(staged), inProcessStageRunner(await openStaged(staged), banks));
  });

  it("encodes exactly as the one image graph", async () => {
    const want = await single.encode(pixels);
    const got = await tower.encode(pixels);
    expect([...got.tokens.keys()].sort()).toEqual([...want.tokens.keys()].sort());
    expect([...got.projected.keys()].sort()).toEqual([...want.projected.keys()].sort());
    for (const [l, t] of want.tokens) expect(relativeError(got.tokens.get(l)!, t), `tokens ${l}`).toBeLessThanOrEqual(1e-6);
    for (const [l, p] of want.projected) expect(relativeError(got.projected.get(l)!, p), `projected ${l}`).toBeLessThanOrEqual(1e-6);
    expect(relativeError(got.imageFeatures, want.imageFeatures)).toBeLessThanOrEqual(1e-6);
  });

  it("zero-shot and few-shot from in-stage reductions equal the single graph's", async () => {
    const want = await single.analyse(pixels, text, { memory, bank: BANK });
    const got = await tower.analyse(pixels, text, { memory: new Map(), bank: BANK });
    expect(Math.abs(got.zeroShotScore - want.zeroShotScore)).toBeLessThanOrEqual(1e-6);
    expect(relativeError(got.zeroShotMap, want.zeroShotMap)).toBeLessThanOrEqual(1e-6);
    expect(relativeError(got.fewShot!.fewShotMap, want.fewShot!.fewShotMap)).toBeLessThanOrEqual(1e-6);
    expect(relativeError(got.fewShot!.combinedMap, want.fewShot!.combinedMap)).toBeLessThanOrEqual(1e-6);
    expect(Math.abs(got.fewShot!.combinedMax - want.fewShot!.combinedMax)).toBeLessThanOrEqual(1e-6 * want.fewShot!.combinedMax);
  });

  it("releases each spent residual stream when scoring (the caller's pixels stay), and keeps every tap when encoding", async () => {
    const inner = inProcessStageRunner(await openStaged(staged), banks);
    const sent: Float32Array[] = [];
    const recording: StageRunner = {
      ...inner,
      run: (i, call) => {
        sent.push(call.input);
        return inner.run(i, call);
      },
    };
    const recorded = stagedTower(await openStaged(staged), recording);
    const got = await recorded.analyse(pixels, text, { memory: new Map(), bank: BANK });
    const want = await single.analyse(pixels, text, { memory, bank: BANK });
    expect(relativeError(got.zeroShotMap, want.zeroShotMap)).toBeLessThanOrEqual(1e-6);
    expect(sent[0]).toBe(pixels);
    expect(pixels.length).toBe(3 * 224 * 224);
    // Detaching needs ArrayBuffer.prototype.transfer (workerd, Node 22); Node 20 leaves the buffer to the collector.
    const detaches = typeof (ArrayBuffer.prototype as { transfer?: unknown }).transfer === "function";
    const residual = (1 + staged.manifest.grid ** 2) * staged.manifest.architecture.vision.width;
    for (const input of sent.slice(1)) expect(input.length, "a spent residual stream").toBe(detaches ? 0 : residual);
    sent.length = 0;
    const encoded = await recorded.encode(pixels);
    for (const input of sent.slice(1)) expect(input.length, "residual streams of a tapped run").toBeGreaterThan(0);
    for (const [l, t] of encoded.tokens) expect(t.length, `tokens ${l}`).toBeGreaterThan(0);
  });

  it("sends the residual stream and small per-layer maps across hops, never the tapped tokens", async () => {
    const m = staged.manifest;
    const { width } = m.architecture.vision;
    const patches = m.grid * m.grid;
    const { stages } = await tower.analyse(pixels, text, { memory: new Map(), bank: BANK });
    expect(stages!.hops.map((h) => h.stage)).toEqual(m.stages.map((s) => s.index));
    for (const [i, s] of m.stages.entries()) {
      const inside = (l: number) => l > s.blocks[0] && l <= s.blocks[1];
      const maps = m.layers.zeroShot.filter(inside).length + m.layers.fewShot.filter(inside).length;
      const last = i === m.stages.length - 1;
      const input = i === 0 ? 3 * m.imageSize ** 2 : (1 + patches) * width;
      const output = last ? m.architecture.embedDim : (1 + patches) * width;
      expect(stages!.hops[i]!.sentBytes).toBe(4 * (input + 2 * m.architecture.embedDim));
      expect(stages!.hops[i]!.receivedBytes).toBe(4 * (output + maps * patches));
    }
  });

  it("a stage reads the manifest and only its own graph and weights (and the head for few-shot)", async () => {
    const reads: string[] = [];
    const bundle = await openStaged(staged, reads);
    const runner = inProcessStageRunner(bundle, banks);
    const residual = (await inProcessStageRunner(await openStaged(staged), banks).run(0, { input: pixels })).residual!;
    await runner.run(1, { input: residual, textFeatures: text, fewShotBank: BANK });
    expect(reads.sort()).toEqual(["few-shot-head.onnx", "image-stage1.onnx", "image-stage1.weights", "manifest.json"]);
    await expect(bundle.session("image")).rejects.toMatchObject({ code: "bundle_staged" });
    await expect(bundle.session("image")).rejects.toBeInstanceOf(BundleError);
  });

  it("embeds a reference set in one call per stage: the single graph's leave-one-out values and its banks as stored", async () => {
    const shotPixels = [31, 32, 33, 34].map((seed) => seededUniform(3 * 224 * 224, seed, -2, 2));
    const source = (released: number[]): ReferenceShots => ({
      count: shotPixels.length,
      pixels: async (j) => ({ pixels: shotPixels[j]!, release: () => released.push(j) }),
    });
    const singleReleased: number[] = [];
    const want = await single.embedShots(source(singleReleased), text);
    const calls: number[] = [];
    const inner = inProcessStageRunner(await openStaged(staged), banks);
    const counting: StageRunner = {
      ...inner,
      runShots: (i, call) => {
        calls.push(i);
        return inner.runShots(i, call);
      },
    };
    const stagedReleased: number[] = [];
    const got = await stagedTower(await openStaged(staged), counting).embedShots(source(stagedReleased), text);
    expect(calls).toEqual(staged.manifest.stages.map((s) => s.index));
    expect(stagedReleased).toEqual([0, 1, 2, 3]);
    expect(singleReleased).toEqual([0, 1, 2, 3]);
    expect(got.values.length).toBe(4);
    for (const [j, w] of want.values.entries()) {
      expect(Math.abs(got.values[j]!.combinedMax - w.combinedMax), `combinedMax ${j}`).toBeLessThanOrEqual(1e-6 * Math.abs(w.combinedMax));
      expect(Math.abs(got.values[j]!.zeroShotScore - w.zeroShotScore), `zeroShotScore ${j}`).toBeLessThanOrEqual(1e-6);
    }
    expect(calibrateFromLeaveOneOut(got.values).threshold).toBeCloseTo(calibrateFromLeaveOneOut(want.values).threshold, 6);
    expect([...got.memory.keys()]).toEqual([...want.memory.keys()]);
    for (const [l, bank] of want.memory) {
      const half = got.memory.get(l)!;
      expect(half).toBeInstanceOf(Uint16Array);
      const expected = encodeF16Clamped(bank as Float32Array);
      let differing = 0;
      for (let i = 0; i < expected.length; i++) if (half[i] !== expected[i]) differing++;
      expect(differing, `half bits of layer ${l}`).toBe(0);
    }
    // What crossed: residual streams and small maps; each few-shot layer's bank once, as half bits.
    const m = staged.manifest;
    const patches = m.grid * m.grid;
    const received = got.stages!.hops.reduce((s, h) => s + h.receivedBytes, 0);
    const residuals = 4 * 4 * (1 + patches) * m.architecture.vision.width * (m.stages.length - 1);
    const maps = 4 * 4 * patches * (m.layers.zeroShot.length + m.layers.fewShot.length);
    const bankBytes = 2 * 4 * patches * m.architecture.vision.width * m.layers.fewShot.length;
    expect(received).toBe(residuals + 4 * 4 * m.architecture.embedDim + maps + bankBytes);
  });

  it("streams the shots through each stage: shot j's outputs come back before shot j + 1's input is read, one decoded shot at a time", async () => {
    const shotPixels = [41, 42, 43, 44, 45].map((seed) => seededUniform(3 * 224 * 224, seed, -2, 2));
    const events: string[] = [];
    const inner = inProcessStageRunner(await openStaged(staged), banks);
    const tracing: StageRunner = {
      ...inner,
      runShots: (i, call) => {
        async function* inputs(): AsyncGenerator<Float32Array> {
          let j = 0;
          for await (const x of call.inputs) {
            events.push(`${i} in ${j++}`);
            yield x;
          }
        }
        async function* items(): AsyncGenerator<StageShotsItem> {
          let j = 0;
          for await (const item of inner.runShots(i, { ...call, inputs: inputs() })) {
            events.push("shot" in item ? `${i} out ${j++}` : `${i} end`);
            yield item;
          }
        }
        return items();
      },
    };
    let decoded = 0;
    let mostDecoded = 0;
    const source: ReferenceShots = {
      count: shotPixels.length,
      pixels: async (j) => {
        mostDecoded = Math.max(mostDecoded, ++decoded);
        return { pixels: shotPixels[j]!.slice(), release: () => decoded-- };
      },
    };
    const want = await single.embedShots({ count: shotPixels.length, pixels: async (j) => ({ pixels: shotPixels[j]!, release: () => {} }) }, text);
    const got = await stagedTower(await openStaged(staged), tracing).embedShots(source, text);
    const expected = staged.manifest.stages.flatMap((s) => [...shotPixels.flatMap((_, j) => [`${s.index} in ${j}`, `${s.index} out ${j}`]), `${s.index} end`]);
    expect(events).toEqual(expected);
    expect(mostDecoded, "decoded shots held at once").toBe(1);
    expect(decoded).toBe(0);
    for (const [j, w] of want.values.entries()) {
      expect(Math.abs(got.values[j]!.combinedMax - w.combinedMax), `combinedMax ${j}`).toBeLessThanOrEqual(1e-6 * Math.abs(w.combinedMax));
    }
  });

  it("through the stage RPC's wire format: the same set, every stream record at most one shot's residual stream, whatever k", async () => {
    const m = staged.manifest;
    const residualBytes = 4 * (1 + m.grid ** 2) * m.architecture.vision.width;
    const bundle = await openStaged(staged);
    const records: number[] = [];
    const counted = (stream: ReadableStream<Uint8Array>, into: number[]) =>
      stream.pipeThrough(
        new TransformStream<Uint8Array, Uint8Array>({
          transform(chunk, controller) {
            into.push(chunk.byteLength);
            controller.enqueue(chunk);
          },
        }),
      );
    // What src/composition/stage.ts does in a stage Worker, minus the bindings: the stage's streams, in and out.
    const stub: ImageStageRpc = {
      run: () => Promise.reject(new Error("not used")),
      async runShots(call, inputs) {
        const layout = checkStageShotsCall(bundle, call.index, call.shots, new Float32Array(call.textFeatures));
        const shotInputs = float32Records(byteStreamToRecords(counted(inputs, records), shotsInputRecordBytes(layout, call.shots), "shot inputs"));
        const items = runImageStageShots(bundle, call.index, { inputs: shotInputs, shots: call.shots, textFeatures: new Float32Array(call.textFeatures) });
        return counted(recordsToByteStream(shotsItemsToRecords(items, layout, call.shots)), records);
      },
    };
    const bindings = Object.fromEntries(m.stages.map((s) => [`STAGE_${s.index}`, stub]));
    const wire = serviceBindingStageRunner(bindings, m.stages.length, m.modelHash, "demo", (i) => imageStageLayout(bundle, i));
    const shotPixels = [51, 52, 53, 54, 55, 56].map((seed) => seededUniform(3 * 224 * 224, seed, -2, 2));
    const source: ReferenceShots = { count: shotPixels.length, pixels: async (j) => ({ pixels: shotPixels[j]!, release: () => {} }) };
    const want = await single.embedShots(source, text);
    const got = await stagedTower(await openStaged(staged), wire).embedShots(source, text);
    for (const [j, w] of want.values.entries()) {
      expect(Math.abs(got.values[j]!.combinedMax - w.combinedMax), `combinedMax ${j}`).toBeLessThanOrEqual(1e-6 * Math.abs(w.combinedMax));
      expect(Math.abs(got.values[j]!.zeroShotScore - w.zeroShotScore), `zeroShotScore ${j}`).toBeLessThanOrEqual(1e-6);
    }
    for (const [l, bank] of want.memory) expect([...got.memory.get(l)!], `bank of layer ${l}`).toEqual([...encodeF16Clamped(bank as Float32Array)]);
    // Pixels are the largest record (one shot's [3, 224, 224]); the 6 shots' inputs alone are 6 times that.
    const sent = got.stages!.hops.reduce((s, h) => s + h.sentBytes, 0);
    expect(Math.max(...records)).toBeLessThanOrEqual(Math.max(4 * 3 * 224 * 224, residualBytes));
    expect(sent).toBeGreaterThan(6 * Math.max(...records));
  });

  it("a single shot: no leave-one-out, the zero-shot map max as the single graph's prior", async () => {
    const one: ReferenceShots = { count: 1, pixels: async () => ({ pixels, release: () => {} }) };
    const want = await single.embedShots(one, text);
    const got = await tower.embedShots(one, text);
    expect(Math.abs(got.values[0]!.combinedMax - want.values[0]!.combinedMax)).toBeLessThanOrEqual(1e-6 * Math.abs(want.values[0]!.combinedMax));
    expect(got.stages!.hops.every((h) => h.receivedBytes > 0)).toBe(true);
  });

  it("a stage refuses an input of the wrong size", async () => {
    const runner = inProcessStageRunner(await openStaged(staged), banks);
    await expect(runner.run(1, { input: pixels })).rejects.toThrow(/stage 1 takes \[1, 50, 64\]/);
  });
});

describe("the few-shot head in chunks of memory rows", () => {
  it("gives exactly the distances of one search over the whole bank", async () => {
    const { width } = singleBundle.manifest.architecture.vision;
    const patches = singleBundle.manifest.grid ** 2;
    const layers = [...memory.keys()];
    const query = layers.map((_, i) => seededUniform(patches * width, 40 + i, -3, 3));
    const banksOfLayers = layers.map((l) => memory.get(l)!);
    const whole = await fewShotDistances(singleBundle, query, banksOfLayers);
    for (const chunk of [patches, 7, 1]) {
      const chunked = await fewShotDistances(singleBundle, query, banksOfLayers, chunk);
      for (const [i, d] of whole.entries()) expect([...chunked[i]!], `chunk ${chunk}, layer ${layers[i]}`).toEqual([...d]);
    }
  });
});
