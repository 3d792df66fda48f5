// The eval CLI's folder scanner on a generated MVTec-AD layout, and its seeded subset / shot helpers.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encode } from "fast-png";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { drawShots, resolveObjects, scanObject, spreadSubset } from "../../../src/evaluation/dataset-scan";

let root = "";

function png(path: string, value: number): void {
  mkdirSync(join(path, ".."), { recursive: true });
  writeFileSync(path, encode({ width: 4, height: 4, data: new Uint8Array(16).fill(value), channels: 1, depth: 8 }));
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "eval-scan-"));
  for (const obj of ["widget", "gadget"]) {
    const d = join(root, obj);
    png(join(d, "train", "good", "001.png"), 10);
    png(join(d, "train", "good", "000.png"), 10);
    png(join(d, "train", "good", "002.png"), 10);
    png(join(d, "test", "good", "000.png"), 10);
    png(join(d, "test", "crack", "000.png"), 200);
    png(join(d, "test", "crack", "001.png"), 200);
    png(join(d, "ground_truth", "crack", "000_mask.png"), 255);
    png(join(d, "ground_truth", "crack", "001_mask.png"), 255);
    writeFileSync(join(d, "test", "good", "notes.txt"), "not an image");
  }
  png(join(root, "broken", "test", "hole", "000.png"), 200);
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("scanObject / resolveObjects", () => {
  it("lists shots, test images by defect (sorted) and their masks", () => {
    const o = scanObject(join(root, "widget"));
    expect(o.name).toBe("widget");
    expect(o.train.map((p) => p.slice(root.length))).toEqual(["/widget/train/good/000.png", "/widget/train/good/001.png", "/widget/train/good/002.png"]);
    expect(o.test.map((t) => [t.defect, t.anomalous, t.path.slice(root.length), t.mask?.slice(root.length) ?? null])).toEqual([
      ["crack", true, "/widget/test/crack/000.png", "/widget/ground_truth/crack/000_mask.png"],
      ["crack", true, "/widget/test/crack/001.png", "/widget/ground_truth/crack/001_mask.png"],
      ["good", false, "/widget/test/good/000.png", null],
    ]);
  });

  it("takes --object names, an object folder itself, or every object below --data", () => {
    expect(resolveObjects(root, ["gadget"]).map((o) => o.name)).toEqual(["gadget"]);
    expect(resolveObjects(join(root, "widget")).map((o) => o.name)).toEqual(["widget"]);
    expect(() => resolveObjects(root)).toThrow(/broken: 1 defect image\(s\) without ground_truth mask/);
    expect(() => resolveObjects(root, ["nothing"])).toThrow(/no test\/ folder/);
  });
});

describe("spreadSubset / drawShots", () => {
  it("spreads a limit over the list and draws seeded shots without repeats", () => {
    const items = Array.from({ length: 10 }, (_, i) => i);
    expect(spreadSubset(items, 4)).toEqual([0, 2, 5, 7]);
    expect(spreadSubset(items, undefined)).toEqual(items);
    const a = drawShots(items, 4, 3);
    expect(drawShots(items, 4, 3)).toEqual(a);
    expect(new Set(a).size).toBe(4);
    expect(drawShots(items, 4, 4)).not.toEqual(a);
    expect(() => drawShots(items, 11, 0)).toThrow(/cannot draw 11/);
  });
});
