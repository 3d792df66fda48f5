// Reads an oracle case folder: golden/manifest.json and its raw little-endian arrays (Node only).
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { z } from "zod";

const manifestSchema = z.object({
  params: z.object({
    image_size: z.number().int().positive(),
    features: z.array(z.number().int().positive()),
    few_shot_features: z.array(z.number().int().positive()),
    mean: z.tuple([z.number(), z.number(), z.number()]),
    std: z.tuple([z.number(), z.number(), z.number()]),
    classes: z.array(z.string()),
    refs: z.array(z.object({ class: z.string(), image: z.string() })),
    token_sample: z.array(z.string()),
    image_root: z.string(),
  }),
  cases: z.array(
    z.object({
      class: z.string(),
      image: z.string(),
      mask: z.string().nullable(),
      zero_shot_score: z.number(),
      few_shot_max: z.number(),
      combined_max: z.number(),
    }),
  ),
  arrays: z.record(z.string(), z.object({ file: z.string(), dtype: z.enum(["float32", "int32"]), shape: z.array(z.number().int()) })),
});

export type GoldenManifest = z.infer<typeof manifestSchema>;

export class GoldenCase {
  readonly manifest: GoldenManifest;
  readonly goldenDir: string;
  readonly imageRoot: string;

  constructor(readonly dir: string) {
    this.goldenDir = join(dir, "golden");
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(join(this.goldenDir, "manifest.json"), "utf8"));
    } catch (e) {
      throw new Error(`${dir} is not an oracle case: cannot read golden/manifest.json (${(e as Error).message})`);
    }
    this.manifest = manifestSchema.parse(raw);
    this.imageRoot = resolve(this.goldenDir, this.manifest.params.image_root);
  }

  has(name: string): boolean {
    return name in this.manifest.arrays;
  }

  array(name: string): Float32Array | Int32Array {
    const entry = this.manifest.arrays[name];
    if (!entry) throw new Error(`golden array ${name} is not in the manifest`);
    const buf = readFileSync(join(this.goldenDir, entry.file));
    const count = entry.shape.reduce((a, b) => a * b, 1);
    if (buf.length !== count * 4) throw new Error(`golden array ${name}: ${buf.length} bytes, shape ${entry.shape} needs ${count * 4}`);
    const copy = new Uint8Array(buf).buffer;
    return entry.dtype === "int32" ? new Int32Array(copy) : new Float32Array(copy);
  }

  floats(name: string): Float32Array {
    const a = this.array(name);
    return a instanceof Float32Array ? a : Float32Array.from(a);
  }

  imagePath(relative: string): string {
    return resolve(this.imageRoot, relative);
  }
}
