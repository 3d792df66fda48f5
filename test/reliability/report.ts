// Rows of the reliability summary: each test file appends what it measured; the global teardown prints them.
import { appendFileSync } from "node:fs";

export interface ReliabilityRow {
  /** What was done to the service, e.g. "aborted upload (Content-Length 1 MB, 10 bytes sent)". */
  attack: string;
  /** What was measured, in figures, e.g. "20/20 health 200 after; 0 5xx". */
  outcome: string;
  passed: boolean;
  /** Machine-readable figures for the JSON line. */
  figures?: Record<string, number | string>;
}

/** The file the rows go to, one JSON object a line; set by report-setup.ts for the whole run. */
export const REPORT_FILE_ENV = "RELIABILITY_REPORT_FILE";

export function recordRow(row: ReliabilityRow): void {
  const file = process.env[REPORT_FILE_ENV];
  if (!file) throw new Error(`${REPORT_FILE_ENV} is not set: run the suite with npm run test:reliability`);
  appendFileSync(file, `${JSON.stringify(row)}\n`);
}
