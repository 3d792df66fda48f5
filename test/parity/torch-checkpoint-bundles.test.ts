// The official PyTorch files of each oracle case (adapter.pth, open_clip_pytorch_model.bin, torch 1.13) compile to
// the same bundle as the safetensors files beside them: every graph, weight file and the modelHash.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { compileCheckpointDir } from "../../src/compiler/build-model-dir";

const ORACLE = resolve(__dirname, "../../../shared/oracle");
const VOCAB = resolve(__dirname, "../../../shared/clip/bpe_simple_vocab_16e6.txt.gz");
const cases = existsSync(ORACLE) ? readdirSync(ORACLE).filter((d) => existsSync(join(ORACLE, d, "model", "adapter.pth"))) : [];
const tmp: string[] = [];

afterAll(async () => {
  for (const d of tmp) await rm(d, { recursive: true, force: true });
});

describe("bundles from torch.save files", () => {
  it("finds the shared oracle cases with .pth/.bin files", () => {
    expect(cases.length, `no oracle cases under ${ORACLE}`).toBeGreaterThanOrEqual(2);
  });

  for (const name of cases) {
    it(`${name}: adapter.pth + open_clip_pytorch_model.bin give the safetensors bundle`, async () => {
      const model = join(ORACLE, name, "model");
      const params = JSON.parse(readFileSync(join(ORACLE, name, "golden", "manifest.json"), "utf8")).params as {
        image_size: number;
        features: number[];
        few_shot_features: number[];
      };
      const binDir = await mkdtemp(join(tmpdir(), "bin-ckpt-"));
      tmp.push(binDir);
      for (const f of ["open_clip_pytorch_model.bin", "open_clip_config.json"]) await symlink(join(model, f), join(binDir, f));
      const common = { out: "models/x", vocab: VOCAB, imageSize: params.image_size, layers: params.features, fewShotLayers: params.few_shot_features };
      const fromSafetensors = await compileCheckpointDir({ ...common, from: model, adapter: join(model, "adapter.safetensors") });
      const fromTorch = await compileCheckpointDir({ ...common, from: binDir, adapter: join(model, "adapter.pth") });
      expect(fromSafetensors.manifest.source.files).toEqual(["open_clip_model.safetensors", "open_clip_config.json"]);
      expect(fromTorch.manifest.source).toEqual({
        layout: "open_clip",
        files: ["open_clip_pytorch_model.bin", "open_clip_config.json"],
        adapter: "adapter.pth",
      });
      expect(fromTorch.manifest.projection).toBe("adapter");
      expect(fromTorch.manifest.files).toEqual(fromSafetensors.manifest.files);
      expect(fromTorch.manifest.modelHash).toBe(fromSafetensors.manifest.modelHash);
    });
  }
});
