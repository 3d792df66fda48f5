import { describe, expect, it } from "vitest";
import { workerAnswered } from "../../../src/runner/worker-answered";

describe("workerAnswered (npm start's readiness of wrangler dev)", () => {
  it("counts a 200 and the Worker's own 500 JSON error as answers", () => {
    expect(workerAnswered(200, "{}")).toBe(true);
    expect(workerAnswered(500, JSON.stringify({ error: { code: "internal", message: "internal error" } }))).toBe(true);
  });

  it("does not count a 503 that may mend, wrangler's own error pages or other bodies", () => {
    expect(workerAnswered(503, JSON.stringify({ error: { code: "stage_unavailable", message: "no stage 1" } }))).toBe(false);
    expect(workerAnswered(500, "<html><body>Error</body></html>")).toBe(false);
    expect(workerAnswered(502, "")).toBe(false);
    expect(workerAnswered(500, JSON.stringify({ error: "text" }))).toBe(false);
    expect(workerAnswered(500, "null")).toBe(false);
  });
});
