// Standard Webhooks signing (https://www.standardwebhooks.com): whsec_ secrets and v1 HMAC-SHA256 signatures; pure, Node or workerd.

const SECRET_PREFIX = "whsec_";
/** 32 random bytes: the spec asks for 24 to 64. */
const SECRET_BYTES = 32;

/** A new secret: `whsec_` + base64 of random bytes. */
export function generateWebhookSecret(): string {
  return SECRET_PREFIX + toBase64(crypto.getRandomValues(new Uint8Array(SECRET_BYTES)));
}

/** The HMAC key of a secret: the base64-decoded part after `whsec_`. */
export function webhookSecretKey(secret: string): Uint8Array<ArrayBuffer> {
  if (!secret.startsWith(SECRET_PREFIX)) throw new Error("a webhook secret starts with whsec_");
  const binary = atob(secret.slice(SECRET_PREFIX.length));
  return Uint8Array.from(binary, (ch) => ch.charCodeAt(0));
}

/** `v1,` + base64 HMAC-SHA256 of `{id}.{timestamp}.{body}`: the spec's signed content, byte for byte. */
export async function signWebhook(secret: string, id: string, timestamp: number, body: string): Promise<string> {
  const key = await crypto.subtle.importKey("raw", webhookSecretKey(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const mac = await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(`${id}.${timestamp}.${body}`));
  return `v1,${toBase64(new Uint8Array(mac))}`;
}

/** The three headers of one delivery; the id stays the same across retries of one message (the receiver's idempotency key). */
export async function webhookHeaders(secret: string, id: string, timestamp: number, body: string): Promise<Record<string, string>> {
  return {
    "webhook-id": id,
    "webhook-timestamp": String(timestamp),
    "webhook-signature": await signWebhook(secret, id, timestamp, body),
  };
}

function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}
