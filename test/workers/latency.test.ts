// Latency of POST /v1/score with the seeded model in workerd: zero-shot vs few-shot with k = 4 (warm, median of 5).
import { beforeAll, describe, expect, it } from "vitest";
import { encodeBase64 } from "../../src/service/base64";
import type { ScoreResponse } from "../../src/usecases/score-image";
import { syntheticPng } from "./images";
import { postForm, postScore, seedBundle, type SeededBundle } from "./seed";

let bundle: SeededBundle;

beforeAll(async () => {
  bundle = await seedBundle();
});

async function timed(body: Record<string, unknown>): Promise<{ ms: number; timings: Record<string, number> }> {
  const start = performance.now();
  const response = await postScore(body);
  const parsed = (await response.json()) as ScoreResponse;
  expect(response.status, JSON.stringify(parsed)).toBe(200);
  return { ms: performance.now() - start, timings: parsed.timings };
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

describe("POST /v1/score latency", () => {
  it("measures zero-shot and few-shot (k = 4) on a 640x480 PNG", async () => {
    const created = await postForm("/v1/reference-sets", { object: "bottle", images: [1, 2, 3, 4].map((v) => syntheticPng(640, 480, v)) });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    const image = encodeBase64(syntheticPng(640, 480, 9));
    const runs = 5;
    const report: string[] = [];
    for (const [label, body] of [
      ["zero-shot", { object: "bottle", image }],
      ["few-shot k=4", { object: "bottle", image, referenceSet: id }],
    ] as const) {
      await timed(body); // warm: sessions, text features, the set's memory bank
      const samples = [];
      for (let i = 0; i < runs; i++) samples.push(await timed(body));
      const last = samples.at(-1)!.timings;
      report.push(`${label}: median ${median(samples.map((s) => s.ms)).toFixed(0)} ms (${samples.map((s) => s.ms.toFixed(0)).join("/")}), stages ${JSON.stringify(last)}`);
    }
    console.log(`model ${bundle.name} (${bundle.imageSize}px, ${bundle.quantization}), 640x480 PNG, map png + regions:\n  ${report.join("\n  ")}`);
  });
});
