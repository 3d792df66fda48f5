// Replays the training steps of every oracle case through `npm run train-adapter -- --oracle CASE --json`.
import { execFile } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const ORACLE = resolve(__dirname, "../../../shared/oracle");
const ROOT = resolve(__dirname, "../..");
const cases = existsSync(ORACLE) ? readdirSync(ORACLE).filter((d) => existsSync(join(ORACLE, d, "training", "manifest.json"))) : [];
const run = promisify(execFile);

interface Report {
  losses: number[];
  maxWeightError: number[];
  steps: { lossRelError: number; maxWeightError: number; illConditioned: number; parameters: number }[];
  ok: boolean;
}

describe("oracle training replay", () => {
  it("finds the shared oracle cases with a training/ folder", () => {
    expect(cases.length, `no oracle training cases under ${ORACLE}`).toBeGreaterThanOrEqual(2);
  });

  for (const name of cases) {
    it(`${name}: losses within 1e-4 relative, weights within 1e-5 after every step`, async () => {
      const manifest = JSON.parse(readFileSync(join(ORACLE, name, "training", "manifest.json"), "utf8")) as { losses: unknown[] };
      const { stdout } = await run(
        process.execPath,
        [join(ROOT, "node_modules", "tsx", "dist", "cli.mjs"), join(ROOT, "scripts", "train-adapter.ts"), "--oracle", join(ORACLE, name), "--json"],
        {
          cwd: ROOT,
          maxBuffer: 64 << 20,
        },
      );
      const report = JSON.parse(stdout.trim().split("\n").at(-1)!) as Report;
      expect(report.losses).toHaveLength(manifest.losses.length);
      expect(report.maxWeightError).toHaveLength(manifest.losses.length);
      for (const s of report.steps) {
        expect(s.lossRelError).toBeLessThanOrEqual(1e-4);
        expect(s.maxWeightError).toBeLessThanOrEqual(1e-5);
        // the elements excluded as fp32-noise-dominated stay a handful
        expect(s.illConditioned).toBeLessThanOrEqual(Math.max(3, s.parameters * 1e-3));
      }
      expect(report.ok).toBe(true);
    });
  }
});
