// The demo page's markup; its CSS and script are inlined, allowed by the response's CSP nonce.
import { demoPageCss } from "./page-css";
import { demoPageScript } from "./page-script";

/** MVTec AD's 15 and VisA's 12 class names, offered as suggestions; any object name may be typed. */
export const OBJECT_SUGGESTIONS = [
  "bottle",
  "cable",
  "capsule",
  "carpet",
  "grid",
  "hazelnut",
  "leather",
  "metal_nut",
  "pill",
  "screw",
  "tile",
  "toothbrush",
  "transistor",
  "wood",
  "zipper",
  "candle",
  "capsules",
  "cashew",
  "chewinggum",
  "fryum",
  "macaroni1",
  "macaroni2",
  "pcb1",
  "pcb2",
  "pcb3",
  "pcb4",
  "pipe_fryum",
] as const;

/** The nonce is base64 (no quotes or angle brackets), so it is safe inside an attribute. */
export function demoPageHtml(nonce: string): string {
  const options = OBJECT_SUGGESTIONS.map((name) => `<option value="${name}"></option>`).join("");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light">
<title>edge-anomaly · demo</title>
<link rel="icon" href="data:,">
<style nonce="${nonce}">${demoPageCss}</style>
</head>
<body>
<header class="top">
  <div>
    <h1>edge-anomaly</h1>
    <p class="tagline">Zero-/few-shot visual anomaly detection (APRIL-GAN on CLIP)</p>
  </div>
  <p id="model-status" class="model" role="status">Checking the service…</p>
</header>
<main class="layout">
<section class="panel" aria-labelledby="request-title">
  <h2 id="request-title">Request</h2>
  <form id="score-form" novalidate>
    <div class="field">
      <label for="api-key">API key</label>
      <div class="row">
        <input id="api-key" name="api-key" type="password" autocomplete="off" spellcheck="false" required aria-describedby="api-key-hint">
        <button type="button" id="api-key-toggle" class="ghost" aria-controls="api-key" aria-pressed="false">Show</button>
      </div>
      <p id="api-key-hint" class="hint">Sent as <code>Authorization: Bearer …</code> and remembered in this browser.
        <button type="button" id="api-key-forget" class="link">Forget it</button></p>
    </div>
    <div class="field">
      <label for="image">Image (PNG or JPEG)</label>
      <input id="image" name="image" type="file" accept="image/png,image/jpeg" required>
    </div>
    <div class="field">
      <label for="object">Object</label>
      <input id="object" name="object" list="object-names" required maxlength="64" autocomplete="off" spellcheck="false"
        placeholder="e.g. bottle" aria-describedby="object-hint">
      <datalist id="object-names">${options}</datalist>
      <p id="object-hint" class="hint">An MVTec AD or VisA class, or any name: it goes into the text prompts.</p>
    </div>
    <div class="field">
      <label for="reference-set">Reference set</label>
      <div class="row">
        <select id="reference-set" name="reference-set" aria-describedby="reference-list-status">
          <option value="">None: zero-shot</option>
        </select>
        <button type="button" id="reference-refresh" class="ghost">Refresh</button>
      </div>
      <p id="reference-list-status" class="hint" role="status"></p>
    </div>
    <details id="new-reference" class="subpanel">
      <summary>New reference set from good images</summary>
      <div class="field">
        <label for="reference-images">Good images of the object above (1–16)</label>
        <input id="reference-images" type="file" accept="image/png,image/jpeg" multiple>
      </div>
      <button type="button" id="reference-create" class="secondary">Create reference set</button>
      <p id="reference-status" class="hint" role="status"></p>
    </details>
    <div class="field check">
      <input id="regions" name="regions" type="checkbox" checked>
      <label for="regions">Find anomalous regions (boxes)</label>
    </div>
    <button type="submit" id="score-button" class="primary">Score</button>
    <div id="error" class="error" role="alert" hidden></div>
  </form>
</section>
<section id="result-panel" class="panel" aria-labelledby="result-title" aria-busy="false">
  <h2 id="result-title">Result</h2>
  <p id="placeholder" class="hint">Choose an image, name the object and press Score.</p>
  <p id="warning" class="warning" role="note" hidden></p>
  <div id="result" class="summary" hidden>
    <div class="stat"><span class="label" id="score-label">Score</span><output id="score" class="big" aria-labelledby="score-label"></output></div>
    <div class="stat"><span class="label" id="decision-label">Decision</span><output id="decision" aria-labelledby="decision-label"></output>
      <span id="threshold" class="hint"></span></div>
    <div class="stat"><span class="label" id="mode-label">Mode</span><output id="mode" aria-labelledby="mode-label"></output>
      <span id="mode-detail" class="hint"></span></div>
    <div class="stat"><span class="label" id="time-label">Time</span><output id="total-time" aria-labelledby="time-label"></output>
      <span id="time-detail" class="hint"></span></div>
  </div>
  <figure id="figure" hidden>
    <canvas id="overlay" role="img" aria-label="The chosen image"></canvas>
    <figcaption>
      <div id="legend-box" class="legend" hidden>
        <span>0</span><canvas id="legend" width="256" height="1" aria-hidden="true"></canvas><span id="legend-max"></span>
      </div>
      <div class="controls">
        <label for="opacity">Heatmap opacity</label>
        <input id="opacity" type="range" min="0" max="100" value="60">
        <label for="colormap">Colormap</label>
        <select id="colormap"><option value="jet">jet</option><option value="inferno">inferno</option></select>
      </div>
    </figcaption>
  </figure>
  <details id="details" class="subpanel" hidden>
    <summary>Timings per stage and details</summary>
    <dl id="timings" class="kv"></dl>
  </details>
</section>
</main>
<script nonce="${nonce}">${demoPageScript}</script>
</body>
</html>
`;
}
