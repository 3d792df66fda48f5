// An independent Standard Webhooks verifier for the tests (crypto.subtle only; nothing from src/webhooks).

/** Whether `signatureHeader` holds a valid v1 signature of `${id}.${timestamp}.${body}` under `secret`. */
export async function verifyStandardWebhook(secret: string, headers: Record<string, string>, body: string): Promise<boolean> {
  const id = headers["webhook-id"];
  const timestamp = headers["webhook-timestamp"];
  const signatures = headers["webhook-signature"];
  if (!id || !timestamp || !signatures || !secret.startsWith("whsec_")) return false;
  const keyBytes = Uint8Array.from(atob(secret.slice("whsec_".length)), (ch) => ch.charCodeAt(0));
  const key = await crypto.subtle.importKey("raw", keyBytes, { name: "HMAC", hash: "SHA-256" }, false, ["verify"]);
  const signed = new TextEncoder().encode(`${id}.${timestamp}.${body}`);
  // The header may carry several space-separated signatures; any valid v1 one will do.
  for (const entry of signatures.split(" ")) {
    const [version, b64] = entry.split(",");
    if (version !== "v1" || !b64) continue;
    const mac = Uint8Array.from(atob(b64), (ch) => ch.charCodeAt(0));
    if (await crypto.subtle.verify("HMAC", key, mac, signed)) return true;
  }
  return false;
}
