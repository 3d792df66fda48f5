// Runs the parity check on every oracle case in ../shared, in both checkpoint layouts, fp32 and int8.
import { existsSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { relaxedSimdSupported } from "../../src/engine/wasm/int8-gemm";
import { runParity } from "../../src/parity/run-parity";

const ORACLE = resolve(__dirname, "../../../shared/oracle");
const cases = existsSync(ORACLE) ? readdirSync(ORACLE).filter((d) => existsSync(join(ORACLE, d, "golden", "manifest.json"))) : [];

describe("oracle parity", () => {
  it("finds the shared oracle cases", () => {
    expect(cases.length, `no oracle cases under ${ORACLE}: test:parity needs ../shared beside the checkout`).toBeGreaterThanOrEqual(2);
  });

  for (const name of cases) {
    for (const layout of ["open_clip", "hf"] as const) {
      for (const quant of ["fp32", "int8"] as const) {
        it(`${name} ${layout} ${quant}`, async () => {
          const report = await runParity({ caseDir: join(ORACLE, name), layout, quant });
          const failed = Object.entries(report.arrays)
            .filter(([, a]) => !a.ok)
            .map(([n, a]) => `${n}: maxAbs ${a.maxAbs} rel ${a.rel} pearson ${a.pearson} (${a.tolerance})`);
          expect(failed).toEqual([]);
          expect(Object.keys(report.arrays).length).toBeGreaterThan(50);
        });
      }
    }
    for (const kernel of ["simd", "relaxed"] as const) {
      it(`${name} open_clip int8 through the engine's image encoder (${kernel === "simd" ? "SIMD128" : "relaxed-SIMD"} kernel)`, async () => {
        // the relaxed kernel only where the runtime validates it (this project passes Node 20 the flag), else SIMD128
        if (kernel === "relaxed") expect(relaxedSimdSupported()).toBe(true);
        const report = await runParity({ caseDir: join(ORACLE, name), layout: "open_clip", quant: "int8", engine: "wasm", kernel });
        const failed = Object.entries(report.arrays)
          .filter(([, a]) => !a.ok)
          .map(([n, a]) => `${n}: maxAbs ${a.maxAbs} rel ${a.rel} pearson ${a.pearson} (${a.tolerance})`);
        expect(failed).toEqual([]);
        expect(Object.keys(report.arrays).length).toBeGreaterThan(50);
      });
    }
  }
});
