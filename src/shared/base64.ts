// Strict base64 (standard alphabet, optional padding, optional data: URL prefix): for request and response bodies.

const DATA_URL = /^data:[^,]*;base64,/i;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** The bytes of `text`, or undefined when it is not valid base64 (empty counts as invalid). */
export function decodeBase64(text: string): Uint8Array | undefined {
  const body = text.replace(DATA_URL, "").replace(/\s+/g, "");
  if (body.length === 0 || !BASE64.test(body) || body.length % 4 === 1) return undefined;
  let binary: string;
  try {
    binary = atob(body);
  } catch {
    return undefined;
  }
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

export function encodeBase64(bytes: Uint8Array): string {
  const chunk = 0x8000;
  let binary = "";
  for (let i = 0; i < bytes.length; i += chunk) binary += String.fromCharCode(...bytes.subarray(i, i + chunk));
  return btoa(binary);
}
