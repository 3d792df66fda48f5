// The eval CLI's oracle mode: test.py's metrics on every oracle case's golden maps match training/manifest.json.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { compareOracleCase } from "../../src/evaluation/oracle-metrics";

const ORACLE = resolve(__dirname, "../../../shared/oracle");
const REPO = resolve(__dirname, "../..");
const cases = existsSync(ORACLE)
  ? readdirSync(ORACLE).filter((d) => existsSync(join(ORACLE, d, "golden", "manifest.json")) && existsSync(join(ORACLE, d, "training", "manifest.json")))
  : [];

describe("eval --oracle", () => {
  it("finds the shared oracle cases", () => {
    expect(cases.length, `no oracle cases with training/ under ${ORACLE}`).toBeGreaterThanOrEqual(2);
  });

  for (const name of cases) {
    it(`${name}: every metric of both maps within 1e-6 (AUPRO 1e-4)`, () => {
      const report = compareOracleCase(join(ORACLE, name));
      const failed = Object.entries(report.metrics).flatMap(([kind, c]) =>
        Object.entries(c.diff)
          .filter(([metric, d]) => !(d <= (metric === "aupro" ? 1e-4 : 1e-6)))
          .map(
            ([metric, d]) =>
              `${kind}/${metric}: ours ${c.ours[metric as keyof typeof c.ours]} expected ${c.expected[metric as keyof typeof c.expected]} diff ${d}`,
          ),
      );
      expect(failed).toEqual([]);
      expect(Object.keys(report.metrics).sort()).toEqual(["combined_map", "zero_shot_map"]);
      expect(report.ok).toBe(true);
    });
  }

  it("CLI: exits 0 and ends with the JSON verdict", () => {
    const run = spawnSync("npx", ["tsx", "scripts/eval.ts", "--oracle", join(ORACLE, cases[0]!), "--json"], { cwd: REPO, encoding: "utf8" });
    expect(run.status, run.stderr).toBe(0);
    const last = JSON.parse(run.stdout.trim().split("\n").at(-1)!);
    expect(last.ok).toBe(true);
    expect(Object.keys(last.metrics.zero_shot_map)).toEqual(["ours", "expected", "diff", "ok"]);
  });

  it("CLI: exits 1 when a metric disagrees (a case whose expected AUPRO is off by 1e-3)", () => {
    const dir = mkdtempSync(join(tmpdir(), "eval-oracle-"));
    try {
      symlinkSync(join(ORACLE, cases[0]!, "golden"), join(dir, "golden"));
      mkdirSync(join(dir, "training"));
      const training = JSON.parse(readFileSync(join(ORACLE, cases[0]!, "training", "manifest.json"), "utf8"));
      training.metrics.combined_map.aupro += 1e-3;
      writeFileSync(join(dir, "training", "manifest.json"), JSON.stringify({ metrics: training.metrics }));
      const run = spawnSync("npx", ["tsx", "scripts/eval.ts", "--oracle", dir, "--json"], { cwd: REPO, encoding: "utf8" });
      expect(run.status).toBe(1);
      const last = JSON.parse(run.stdout.trim().split("\n").at(-1)!);
      expect([last.ok, last.metrics.combined_map.ok, last.metrics.zero_shot_map.ok]).toEqual([false, false, true]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
