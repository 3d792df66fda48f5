// A webhook receiver on the Node side of the workerd tests: the worker's outbound fetches land here, never on a network.

/** One POST as received, and the status it was answered with. */
export interface ReceivedWebhook {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: string;
  answered: number;
}

const received = new Map<string, ReceivedWebhook[]>();

/**
 * Miniflare's outboundService: every global fetch of the worker. Paths are /<mode>/<key>; the key groups one test's
 * requests. Modes: `ok` answers 204; `fail-N` answers 500 to the first N requests of its key, then 200; `fail`
 * always answers 503; `redirect` answers 307 to a loopback URL.
 */
export async function receiveWebhook(request: Request): Promise<Response> {
  const url = new URL(request.url);
  if (url.hostname === "cloudflare-dns.com") return answerDns(url);
  const [, mode = "", key = ""] = url.pathname.split("/");
  const log = received.get(key) ?? [];
  received.set(key, log);
  const failFirst = /^fail-(\d+)$/.exec(mode);
  const answer = mode === "ok" ? 204 : failFirst ? (log.length < Number(failFirst[1]) ? 500 : 200) : mode === "fail" ? 503 : mode === "redirect" ? 307 : 404;
  const headers: Record<string, string> = {};
  request.headers.forEach((value, name) => {
    if (name.startsWith("webhook-") || name === "content-type") headers[name] = value;
  });
  log.push({
    url: request.url,
    method: request.method,
    headers,
    body: await request.text(),
    answered: answer,
  });
  return answer === 307 ? new Response(null, { status: 307, headers: { location: "http://127.0.0.1/admin" } }) : new Response(null, { status: answer });
}

/** The WEBHOOK_RECEIVER service binding: GET /log/<key> lists what arrived under that key. */
export function receiverControl(request: Request): Response {
  const key = /^\/log\/([\w-]+)$/.exec(new URL(request.url).pathname)?.[1];
  return key ? Response.json(received.get(key) ?? []) : new Response("no such route", { status: 404 });
}

/** A DNS-over-HTTPS JSON answer from a fixed test zone (the worker resolves webhook hosts before accepting a job). */
const TEST_ZONE: Record<string, { A?: string[]; AAAA?: string[] }> = {
  "receiver.example": { A: ["93.184.216.34"] },
  "rebind.example": { A: ["93.184.216.34", "10.1.2.3"] },
  "v6private.example": { AAAA: ["fd00::1"] },
  "noaddress.example": {},
};

function answerDns(url: URL): Response {
  const name = url.searchParams.get("name") ?? "";
  const type = url.searchParams.get("type") === "AAAA" ? "AAAA" : "A";
  // Resolver trouble, not an answer about the name: an HTTP error, and SERVFAIL.
  if (name === "resolver-down.example") return new Response("upstream unavailable", { status: 502 });
  if (name === "servfail.example") return Response.json({ Status: 2 });
  const zone = TEST_ZONE[name];
  if (!zone) return Response.json({ Status: 3 });
  const code = type === "A" ? 1 : 28;
  return Response.json({ Status: 0, Answer: (zone[type] ?? []).map((data) => ({ name, type: code, data })) });
}
