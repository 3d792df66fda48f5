// The image tower in stages (chained in process, reductions inside the stages) gives the single graph's arrays on both
// oracle cases, and still passes the oracle.
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { type ParityReport, runParity } from "../../src/parity/run-parity";
import { relativeError } from "../helpers/tiny-bundle";

const ORACLE = resolve(__dirname, "../../../shared/oracle");
const CASES = ["tiny-gelu-224", "tiny-quickgelu-336"];

describe.each(CASES)("%s, fp32, staged vs single graph", (name) => {
  const caseDir = join(ORACLE, name);
  let single: ParityReport;
  beforeAll(async () => {
    expect(existsSync(join(caseDir, "golden", "manifest.json")), `no oracle case ${caseDir}: test:parity needs ../shared`).toBe(true);
    single = await runParity({ caseDir, layout: "open_clip", quant: "fp32", keepActual: true });
  });

  it.each([2, 3])("K = %i: every array equals the single graph's (<= 1e-6 relative) and passes the oracle", async (k) => {
    const staged = await runParity({ caseDir, layout: "open_clip", quant: "fp32", stages: k, keepActual: true });
    expect(staged.stages).toBe(k);
    const names = Object.keys(single.actual!);
    expect(Object.keys(staged.actual!).sort()).toEqual([...names].sort());
    expect(names.length).toBeGreaterThan(50);
    // The reference sets as the service makes them (one stage call per stage for all shots) are among them.
    expect(names.filter((n) => n.startsWith("set/") && n.endsWith("/loo_combined_max")).length).toBeGreaterThan(0);
    expect(names.filter((n) => n.includes("/stored_bank/")).length).toBeGreaterThan(0);
    const errors = names.map((n) => [n, relativeError(staged.actual![n]!, single.actual![n]!)] as const);
    const identical = errors.filter(([, rel]) => rel === 0).length;
    console.log(`${name} K=${k}: ${identical}/${names.length} arrays identical, max rel ${Math.max(...errors.map(([, rel]) => rel))}`);
    const worse = errors.filter(([, rel]) => !(rel <= 1e-6)).map(([n, rel]) => `${n}: rel ${rel}`);
    expect(worse).toEqual([]);
    expect(Object.entries(staged.arrays).filter(([, a]) => !a.ok)).toEqual([]);
  });
});
