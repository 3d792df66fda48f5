// GET /: the self-contained demo page (inline CSS and JS, no CDN) that calls this service's own API from the browser.
import { Hono } from "hono";
import type { AppEnv } from "../app-env";
import { demoPageHtml } from "../demo/page-html";

/**
 * Inline code is allowed by a per-response nonce instead of 'unsafe-inline'; the page talks only to its own origin
 * ('self') and draws images from local files (blob:) and the API's base64 PNG maps (data:).
 */
function contentSecurityPolicy(nonce: string): string {
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src 'nonce-${nonce}'`,
    "img-src 'self' data: blob:",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join("; ");
}

function newNonce(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return btoa(String.fromCharCode(...bytes));
}

/** A sub-app for `app.route("/", demoPage())`; it needs no bindings and no API key (the page asks for one). */
export function demoPage(): Hono<AppEnv> {
  const page = new Hono<AppEnv>();
  page.get("/", (c) => {
    const nonce = newNonce();
    c.header("Content-Security-Policy", contentSecurityPolicy(nonce));
    c.header("X-Content-Type-Options", "nosniff");
    c.header("Referrer-Policy", "no-referrer");
    c.header("Cache-Control", "no-store");
    return c.html(demoPageHtml(nonce));
  });
  return page;
}
