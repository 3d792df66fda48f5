// Helpers of the reliability tests: test images, raw-socket clients, and the after-attack check (health + a real score).
import { connect } from "node:net";
import { encode } from "fast-png";
import type { RunningService } from "../../src/bench/service-process";

/** A smooth RGB PNG with a little deterministic noise (compresses like a photo, unlike pure noise). */
export function testPng(size: number, seed: number): Uint8Array {
  const data = new Uint8Array(size * size * 3);
  let s = seed >>> 0;
  for (let i = 0; i < data.length; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    const p = Math.floor(i / 3);
    data[i] = ((((p % size) + Math.floor(p / size)) * 128) / size + ((s >>> 16) & 15) + seed * 7) & 255;
  }
  return encode({ width: size, height: size, data, channels: 3 });
}

export function auth(service: RunningService): Record<string, string> {
  return { authorization: `Bearer ${service.apiKey}` };
}

export async function score(
  service: RunningService,
  image: Uint8Array,
  timeoutMs = 60_000,
  map: "png" | "none" = "none",
): Promise<{ status: number; ms: number; body: string; retryAfter: string | null }> {
  const form = new FormData();
  form.set("object", "tile");
  form.set("map", map);
  form.set("image", new Blob([image as Uint8Array<ArrayBuffer>], { type: "image/png" }), "part.png");
  const started = performance.now();
  const response = await fetch(`${service.baseUrl}/v1/score`, { method: "POST", headers: auth(service), body: form, signal: AbortSignal.timeout(timeoutMs) });
  const body = await response.text();
  return { status: response.status, ms: performance.now() - started, body, retryAfter: response.headers.get("retry-after") };
}

/** After every attack: /v1/health answers 200 and a real score succeeds. */
export async function healthyAfter(service: RunningService): Promise<{ health: number; score: number }> {
  const health = await fetch(`${service.baseUrl}/v1/health`, { signal: AbortSignal.timeout(10_000) }).then(
    (r) => r.status,
    () => 0,
  );
  const scored = await score(service, testPng(256, 99)).then(
    (r) => r.status,
    () => 0,
  );
  return { health, score: scored };
}

export interface RawResult {
  /** Everything the server sent back. */
  text: string;
  /** The status code of the first answer line, or 0 when none came. */
  status: number;
  /** The server closed the connection before `holdMs`. */
  closedByServer: boolean;
  ms: number;
}

/**
 * Writes `head` then `parts` (one write each, `gapMs` apart) on a raw TCP connection and closes it after `holdMs`,
 * or earlier when the server closes. Lets a test lie about Content-Length or stall mid-body.
 */
export function rawRequest(service: RunningService, head: string, parts: (string | Uint8Array)[], holdMs: number, gapMs = 0): Promise<RawResult> {
  const url = new URL(service.baseUrl);
  return new Promise((resolve) => {
    const started = performance.now();
    let text = "";
    let done = false;
    const finish = (closedByServer: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
      resolve({ text, status, closedByServer, ms: performance.now() - started });
    };
    const socket = connect(Number(url.port), url.hostname, async () => {
      socket.write(head);
      for (const part of parts) {
        if (done) return;
        socket.write(part);
        if (gapMs > 0) await new Promise((r) => setTimeout(r, gapMs));
      }
    });
    socket.on("data", (d) => {
      text += d.toString("latin1");
    });
    socket.on("error", () => finish(true));
    socket.on("close", () => finish(true));
    const timer = setTimeout(() => finish(false), holdMs);
  });
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}
