// Global setup of the reliability suite: a fresh report file; at teardown a summary table and one JSON line.
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execFileSync } from "node:child_process";
import { REPORT_FILE_ENV, type ReliabilityRow } from "./report";

function commit(): string {
  try {
    return execFileSync("git", ["rev-parse", "--short", "HEAD"], { encoding: "utf8" }).trim();
  } catch {
    return "unknown";
  }
}

export default function setup(): () => void {
  const dir = mkdtempSync(join(tmpdir(), "edge-anomaly-reliability-"));
  const file = join(dir, "rows.jsonl");
  process.env[REPORT_FILE_ENV] = file;
  return () => {
    const rows: ReliabilityRow[] = existsSync(file)
      ? readFileSync(file, "utf8")
          .split("\n")
          .filter(Boolean)
          .map((line) => JSON.parse(line) as ReliabilityRow)
      : [];
    rmSync(dir, { recursive: true, force: true });
    const date = new Date().toISOString().slice(0, 10);
    const lines = [`reliability summary (${date}, commit ${commit()})`, "| attack | outcome | result |", "|---|---|---|"];
    for (const row of rows) lines.push(`| ${row.attack} | ${row.outcome} | ${row.passed ? "held" : "not met"} |`);
    console.log(lines.join("\n"));
    console.log(JSON.stringify({ suite: "reliability", date, commit: commit(), rows }));
  };
}
