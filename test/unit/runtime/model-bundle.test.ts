// Bundle integrity (manifest schema, sha256, missing files, modelHash) and the compiler's and vocabulary's input checks.
import { gzipSync } from "fflate";
import { describe, expect, it } from "vitest";
import { randomAdapters, randomCheckpoint } from "../../../src/compiler/checkpoint/random-checkpoint";
import { checkVocabulary } from "../../../src/compiler/build-model-dir";
import { compileBundle, type CompileOptions } from "../../../src/compiler/compile-bundle";
import { modelHashOf, sha256Hex, type BundleFileRole } from "../../../src/engine/runtime/bundle-manifest";
import { ModelBundle, type BundleReader } from "../../../src/engine/runtime/model-bundle";
import { memoryReader, tinyArch } from "../../helpers/tiny-bundle";

const ckpt = randomCheckpoint(tinyArch(), 3);
/** A 2-merge vocabulary: 512 byte tokens + 2 merges + SOT/EOT = 516 ids. */
const merges = "#version: 0.2\na b\nc d\n";
const vocabulary = gzipSync(new TextEncoder().encode(merges));
const compile = (o: Partial<CompileOptions> = {}) => compileBundle(ckpt, { name: "tiny", vocabulary, layers: [1, 3], ...o });
// Compiling touches no ORT session, so it can run at collection time; the roles come from the compiler.
const bundle = await compile();
const ROLES = Object.keys(bundle.manifest.files) as BundleFileRole[];

function withManifest(edit: (m: Record<string, unknown>) => void): BundleReader {
  const m = structuredClone(bundle.manifest) as unknown as Record<string, unknown>;
  edit(m);
  return memoryReader(bundle, { "manifest.json": new TextEncoder().encode(JSON.stringify(m)) });
}

describe("ModelBundle.open", () => {
  it("opens a compiled bundle, reading only manifest.json until a session is asked for", async () => {
    const reads: string[] = [];
    const inner = memoryReader(bundle);
    const b = await ModelBundle.open({
      read: (p) => {
        reads.push(p);
        return inner.read(p);
      },
    });
    expect(b.manifest).toEqual(bundle.manifest);
    expect(reads).toEqual(["manifest.json"]);
    expect(await b.readFile("vocabulary")).toEqual(vocabulary);
  });

  it.each<[string, (m: Record<string, unknown>) => void]>([
    ["wrong format", (m) => (m.format = "something-else")],
    ["future version", (m) => (m.version = 2)],
    ["modelHash not hex", (m) => (m.modelHash = "xyz")],
    ["a file path that leaves the folder", (m) => ((m.files as Record<string, { path: string }>).image.path = "../image.onnx")],
    ["unknown quantization", (m) => (m.quantization = "int4")],
    ["no zero-shot layers", (m) => ((m.layers as { zeroShot: number[] }).zeroShot = [])],
    ["a missing file entry", (m) => delete (m.files as Record<string, unknown>).vocabulary],
    ["a non-numeric image size", (m) => (m.imageSize = "32")],
  ])("rejects a manifest with %s as bundle_invalid", async (_, edit) => {
    await expect(ModelBundle.open(withManifest(edit))).rejects.toMatchObject({ name: "BundleError", code: "bundle_invalid" });
  });

  it("rejects an unreadable or non-JSON manifest as bundle_invalid", async () => {
    const notJson = memoryReader(bundle, { "manifest.json": new TextEncoder().encode("{ not json") });
    await expect(ModelBundle.open(notJson)).rejects.toMatchObject({ code: "bundle_invalid" });
    await expect(ModelBundle.open(memoryReader(bundle, { "manifest.json": null }))).rejects.toMatchObject({ code: "bundle_invalid" });
  });
});

describe("bundle file verification", () => {
  it.each(ROLES)("a tampered %s file (same size, one byte flipped) fails with bundle_hash_mismatch", async (role) => {
    const path = bundle.manifest.files[role].path;
    const tampered = bundle.files[path]!.slice();
    tampered[tampered.length >> 1]! ^= 0x01;
    const b = await ModelBundle.open(memoryReader(bundle, { [path]: tampered }));
    await expect(b.readFile(role)).rejects.toMatchObject({ name: "BundleError", code: "bundle_hash_mismatch" });
  });

  it("a truncated graph fails with bundle_hash_mismatch before ORT sees it", async () => {
    const b = await ModelBundle.open(memoryReader(bundle, { "text.onnx": bundle.files["text.onnx"]!.subarray(0, 100) }));
    await expect(b.session("text")).rejects.toMatchObject({ code: "bundle_hash_mismatch" });
  });

  it.each(ROLES)("a missing %s file fails with bundle_missing_file", async (role) => {
    const b = await ModelBundle.open(memoryReader(bundle, { [bundle.manifest.files[role].path]: null }));
    await expect(b.readFile(role)).rejects.toMatchObject({ name: "BundleError", code: "bundle_missing_file" });
  });

  it("a graph whose external weight file is missing cannot get a session (bundle_missing_file)", async () => {
    const b = await ModelBundle.open(memoryReader(bundle, { [bundle.manifest.files.imageWeights.path]: null }));
    await expect(b.session("image")).rejects.toMatchObject({ code: "bundle_missing_file" });
  });

  it("a missing graph fails with bundle_missing_file, and a later call retries", async () => {
    let available = false;
    const inner = memoryReader(bundle);
    const reader: BundleReader = {
      read: (p) => (p === "few-shot-head.onnx" && !available ? Promise.reject(new Error("ENOENT")) : inner.read(p)),
    };
    const b = await ModelBundle.open(reader);
    await expect(b.session("fewShotHead")).rejects.toMatchObject({ name: "BundleError", code: "bundle_missing_file" });
    available = true;
    const session = await b.session("fewShotHead");
    expect(session.outputNames).toContain("min_distance");
    await b.releaseSession("fewShotHead");
  });
});

describe("manifest hashes", () => {
  it("lists every file with its size and sha256", async () => {
    for (const role of ROLES) {
      const entry = bundle.manifest.files[role];
      const bytes = bundle.files[entry.path]!;
      expect(entry.bytes).toBe(bytes.length);
      expect(entry.sha256).toBe(await sha256Hex(bytes));
    }
    expect(Object.keys(bundle.files).sort()).toEqual(ROLES.map((r) => bundle.manifest.files[r].path).sort());
  });

  it("modelHash is a function of the file hashes: deterministic, independent of the name", async () => {
    expect(bundle.manifest.modelHash).toBe(await modelHashOf(bundle.manifest.files));
    const again = await compile({ name: "renamed" });
    expect(again.manifest.modelHash).toBe(bundle.manifest.modelHash);
  });

  it.each(ROLES)("modelHash changes when the %s file changes", async (role) => {
    const files = structuredClone(bundle.manifest.files);
    files[role].sha256 = await sha256Hex(new TextEncoder().encode(`other ${role}`));
    expect(await modelHashOf(files)).not.toBe(bundle.manifest.modelHash);
  });

  it("modelHash differs for another vocabulary, quantization, layer set or weights", async () => {
    const others = [
      await compile({ vocabulary: gzipSync(new TextEncoder().encode("#version: 0.2\na b\n")) }),
      await compile({ quant: "int8-weight" }),
      await compile({ layers: [2, 3] }),
      await compileBundle(randomCheckpoint(tinyArch(), 4), { name: "tiny", vocabulary, layers: [1, 3] }),
    ];
    const hashes = new Set([bundle.manifest.modelHash, ...others.map((o) => o.manifest.modelHash)]);
    expect(hashes.size).toBe(5);
  });
});

describe("compileBundle input checks", () => {
  it.each([36, 31, 100])("image size %i (not a multiple of the patch 8) -> bad_image_size", async (imageSize) => {
    await expect(compile({ imageSize })).rejects.toMatchObject({ name: "CompileError", code: "bad_image_size" });
  });

  it.each<[string, Partial<CompileOptions>]>([
    ["zero-shot layer past the depth", { layers: [1, 4] }],
    ["layer 0", { layers: [0] }],
    ["fractional layer", { layers: [1.5] }],
    ["few-shot layer past the depth", { fewShotLayers: [5] }],
  ])("%s -> bad_layers", async (_, o) => {
    await expect(compile(o)).rejects.toMatchObject({ name: "CompileError", code: "bad_layers" });
  });

  it("adapters for another number of layers -> adapter_mismatch; the matching count compiles", async () => {
    const two = randomAdapters({ count: 2, width: 32, embedDim: 16 });
    await expect(compile({ layers: [1, 2, 3], adapters: two })).rejects.toMatchObject({ code: "adapter_mismatch" });
    const ok = await compile({ layers: [1, 3], adapters: two, adapterSource: "fc.safetensors" });
    expect(ok.manifest.projection).toBe("adapter");
    expect(ok.manifest.source.adapter).toBe("fc.safetensors");
  });
});

describe("checkVocabulary", () => {
  it("accepts a merges file giving exactly the text tower's vocabulary size", () => {
    expect(() => checkVocabulary(merges, randomCheckpoint(tinyArch({ vocabSize: 516 }), 1), "v.txt.gz")).not.toThrow();
  });

  it("rejects a different size with vocab_mismatch", () => {
    expect(() => checkVocabulary(merges, ckpt, "v.txt.gz")).toThrow(expect.objectContaining({ code: "vocab_mismatch" }));
    const bigger = randomCheckpoint(tinyArch({ vocabSize: 517 }), 1);
    expect(() => checkVocabulary(merges, bigger, "v.txt.gz")).toThrow(expect.objectContaining({ code: "vocab_mismatch" }));
  });

  it("rejects text that is not a merges file with bad_vocabulary", () => {
    expect(() => checkVocabulary("#version: 0.2\na b c\n", ckpt, "v.txt")).toThrow(expect.objectContaining({ code: "bad_vocabulary" }));
  });
});
