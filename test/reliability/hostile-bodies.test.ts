// Hostile bodies against the real service (npm start): broken-off uploads, chunked over-limit bodies, stalled bodies.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningService, startService } from "../../src/bench/service-process";
import { recordRow } from "./report";
import { auth, healthyAfter, rawRequest } from "./service-checks";

/** wrangler.toml defaults, which the suite runs with. */
const MAX_BODY_BYTES = 20 * 1024 * 1024;
const IDLE_TIMEOUT_MS = 10_000;

let service: RunningService;

beforeAll(async () => {
  service = await startService({ timeoutMs: 180_000, tempPrefix: "edge-anomaly-reliability-" });
});

afterAll(async () => {
  await service?.stop();
});

function head(path: string, headers: Record<string, string>): string {
  return `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join("")}\r\n`;
}

describe("hostile bodies", () => {
  it("aborted uploads (Content-Length 1000000, 10 bytes sent, socket closed) do not stop the service", async () => {
    const targets: [string, Record<string, string>][] = [
      ["/nonexistent", {}],
      ["/v1/health", {}],
      ["/v1/score", { "content-type": "multipart/form-data; boundary=b" }],
      ["/v1/score", { ...auth(service), "content-type": "multipart/form-data; boundary=b" }],
      ["/v1/reference-sets", { ...auth(service), "content-type": "application/json" }],
    ];
    let attacks = 0;
    let healthy = 0;
    for (let round = 0; round < 2; round++) {
      for (const [path, headers] of targets) {
        await rawRequest(service, head(path, { ...headers, "content-length": "1000000" }), ["0123456789"], 300);
        attacks++;
        const status = await fetch(`${service.baseUrl}/v1/health`).then(
          (r) => r.status,
          () => 0,
        );
        if (status === 200) healthy++;
      }
    }
    const after = await healthyAfter(service);
    recordRow({
      attack: `aborted upload (Content-Length 1 MB, 10 bytes, socket closed; ${targets.length} paths x 2)`,
      outcome: `${healthy}/${attacks} health 200 right after; then health ${after.health}, score ${after.score}`,
      passed: healthy === attacks && after.health === 200 && after.score === 200,
      figures: { attacks, healthy, health: after.health, score: after.score },
    });
    expect(healthy).toBe(attacks);
    expect(after).toEqual({ health: 200, score: 200 });
  });

  it("a chunked body over MAX_BODY_BYTES gets 413, and the next request is served", async () => {
    const chunk = new Uint8Array(256 * 1024).fill(97);
    const parts: (string | Uint8Array)[] = [];
    for (let sent = 0; sent <= MAX_BODY_BYTES + chunk.length; sent += chunk.length) parts.push(`${chunk.length.toString(16)}\r\n`, chunk, "\r\n");
    const statuses: number[] = [];
    const next: number[] = [];
    const times: number[] = [];
    for (let round = 0; round < 3; round++) {
      const result = await rawRequest(
        service,
        head("/v1/score", { ...auth(service), "content-type": "multipart/form-data; boundary=b", "transfer-encoding": "chunked" }),
        parts,
        30_000,
      );
      statuses.push(result.status);
      times.push(Math.round(result.ms));
      const after = await healthyAfter(service);
      next.push(after.score);
      expect(result.text).toContain('"payload_too_large"');
    }
    const after = await healthyAfter(service);
    const passed = statuses.every((s) => s === 413) && next.every((s) => s === 200) && after.health === 200;
    recordRow({
      attack: `chunked body over MAX_BODY_BYTES (${MAX_BODY_BYTES + chunk.length} bytes) then a score; x3`,
      outcome: `statuses ${statuses.join(",")} in ${times.join(",")} ms; next scores ${next.join(",")}; health ${after.health}`,
      passed,
      figures: { rounds: 3, status413: statuses.filter((s) => s === 413).length, nextScore200: next.filter((s) => s === 200).length },
    });
    expect(statuses).toEqual([413, 413, 413]);
    expect(next).toEqual([200, 200, 200]);
    expect(after.health).toBe(200);
  });

  it("stalled bodies get 408 request_timeout within the idle timeout, and the service answers meanwhile", async () => {
    const stalled = Array.from({ length: 20 }, (_, i) =>
      rawRequest(
        service,
        head(i % 2 ? "/v1/score" : "/v1/reference-sets", { ...auth(service), "content-type": "multipart/form-data; boundary=b", "content-length": "500000" }),
        ['--b\r\nContent-Disposition: form-data; name="object"\r\n\r\ntile\r\n'],
        IDLE_TIMEOUT_MS + 10_000,
      ),
    );
    await new Promise((r) => setTimeout(r, 1_000));
    const during = await healthyAfter(service);
    const results = await Promise.all(stalled);
    const statuses = results.map((r) => r.status);
    const slowest = Math.max(...results.map((r) => r.ms));
    const after = await healthyAfter(service);
    const passed = statuses.every((s) => s === 408) && slowest < IDLE_TIMEOUT_MS + 5_000 && during.score === 200 && after.score === 200;
    recordRow({
      attack: "20 stalled uploads (headers + 50 bytes of a 500 kB body, then silence)",
      outcome: `${statuses.filter((s) => s === 408).length}/20 got 408 by ${(slowest / 1000).toFixed(1)} s (idle timeout ${IDLE_TIMEOUT_MS / 1000} s); score during ${during.score}, after ${after.score}`,
      passed,
      figures: {
        stalled: 20,
        got408: statuses.filter((s) => s === 408).length,
        slowestMs: Math.round(slowest),
        scoreDuring: during.score,
        scoreAfter: after.score,
      },
    });
    expect(statuses.every((s) => s === 408)).toBe(true);
    expect(results.every((r) => r.text.includes('"request_timeout"') && r.closedByServer)).toBe(true);
    expect(slowest).toBeGreaterThanOrEqual(IDLE_TIMEOUT_MS - 500);
    expect(slowest).toBeLessThan(IDLE_TIMEOUT_MS + 5_000);
    expect(during).toEqual({ health: 200, score: 200 });
    expect(after).toEqual({ health: 200, score: 200 });
  });
});
