// Browser code of the demo page: the form, the API calls and the result panel; one strict IIFE with the overlay.
import { overlayScript } from "./overlay-script";

/** Plain ES2020 for the browser, free of backticks and "${" (it lives in a template string), like overlay-script.ts. */
const mainScript = `
const KEY_STORAGE = "edge-anomaly.demo.apiKey";
const OBJECT_STORAGE = "edge-anomaly.demo.object";
const $ = (id) => document.getElementById(id);
const el = {
  form: $("score-form"), apiKey: $("api-key"), keyToggle: $("api-key-toggle"), keyForget: $("api-key-forget"),
  image: $("image"), object: $("object"), referenceSet: $("reference-set"), referenceRefresh: $("reference-refresh"),
  referenceListStatus: $("reference-list-status"), referenceImages: $("reference-images"),
  referenceCreate: $("reference-create"), referenceStatus: $("reference-status"), regions: $("regions"),
  scoreButton: $("score-button"), error: $("error"), modelStatus: $("model-status"), panel: $("result-panel"),
  placeholder: $("placeholder"), warning: $("warning"), result: $("result"), score: $("score"),
  decision: $("decision"), threshold: $("threshold"), mode: $("mode"), modeDetail: $("mode-detail"),
  totalTime: $("total-time"), timeDetail: $("time-detail"),
  figure: $("figure"), legendBox: $("legend-box"), opacity: $("opacity"), colormap: $("colormap"),
  details: $("details"), timings: $("timings"),
};
const overlay = createOverlay($("overlay"), $("legend"), $("legend-max"));

class ApiFailure extends Error {
  constructor(code, message, status) {
    super(message);
    this.code = code;
    this.status = status;
  }
}

/** Every API error body is {"error":{"code","message"}}; anything else still becomes a readable failure. */
async function api(path, init) {
  const headers = new Headers((init && init.headers) || {});
  const key = el.apiKey.value.trim();
  if (key) headers.set("Authorization", "Bearer " + key);
  let response;
  try {
    response = await fetch(path, Object.assign({}, init, { headers }));
  } catch (e) {
    throw new ApiFailure("network_error", "the service could not be reached (" + e.message + ")", 0);
  }
  const text = await response.text();
  let body = null;
  try { body = text ? JSON.parse(text) : null; } catch (e) { body = null; }
  if (!response.ok) {
    const err = body && body.error;
    if (err && typeof err.code === "string") throw new ApiFailure(err.code, String(err.message || ""), response.status);
    throw new ApiFailure("http_" + response.status, text.slice(0, 200) || response.statusText, response.status);
  }
  if (body === null) throw new ApiFailure("invalid_response", "the service answered without JSON", response.status);
  return body;
}

function describeFailure(e) {
  if (e instanceof ApiFailure) return e;
  return new ApiFailure("client_error", e && e.message ? e.message : String(e), 0);
}

function showError(e) {
  const f = describeFailure(e);
  el.error.replaceChildren();
  const code = document.createElement("code");
  code.textContent = f.code;
  const message = f.message && !/[.!?]$/.test(f.message) ? f.message + "." : f.message;
  el.error.append(code, f.status ? " (HTTP " + f.status + "): " : ": ", message);
  if (f.code === "unauthorized") el.error.append(" Check the API key (npm start prints where the local one is).");
  el.error.hidden = false;
}

function clearError() {
  el.error.hidden = true;
  el.error.replaceChildren();
}

function setBusy(button, busy, label) {
  button.disabled = busy;
  if (label) button.textContent = label;
}

async function loadHealth() {
  try {
    const health = await api("/v1/health");
    const m = health.model || {};
    el.modelStatus.replaceChildren("Model ");
    const name = document.createElement("strong");
    name.textContent = m.name || "?";
    el.modelStatus.append(name, " · " + (m.imageSize || "?") + " px · " + (m.quantization || "fp32"));
    if (m.random) {
      const badge = document.createElement("span");
      badge.className = "badge";
      badge.textContent = "random weights";
      el.modelStatus.append(badge);
    }
  } catch (e) {
    const f = describeFailure(e);
    el.modelStatus.textContent = "Service unavailable: " + f.code + " " + f.message;
  }
}

let referenceSets = [];

async function loadReferenceSets() {
  if (!el.apiKey.value.trim()) {
    el.referenceListStatus.textContent = "Enter the API key to list your reference sets.";
    return;
  }
  el.referenceListStatus.textContent = "Loading reference sets…";
  try {
    const body = await api("/v1/reference-sets");
    referenceSets = Array.isArray(body) ? body : body.items || body.referenceSets || [];
    const selected = el.referenceSet.value;
    el.referenceSet.replaceChildren(new Option("None: zero-shot", ""));
    for (const s of referenceSets) {
      el.referenceSet.append(new Option(s.object + " · " + s.shots + " shot(s) · " + s.id, s.id));
    }
    el.referenceSet.value = referenceSets.some((s) => s.id === selected) ? selected : "";
    el.referenceListStatus.textContent = referenceSets.length + " reference set(s).";
  } catch (e) {
    const f = describeFailure(e);
    el.referenceListStatus.textContent = "Could not list reference sets: " + f.code + ": " + f.message;
  }
}

async function createReferenceSet() {
  const files = Array.from(el.referenceImages.files || []);
  const object = el.object.value.trim();
  if (!object) return (el.referenceStatus.textContent = "Name the object first (the Object field above).");
  if (files.length === 0) return (el.referenceStatus.textContent = "Choose one or more good images.");
  const form = new FormData();
  form.append("object", object);
  for (const f of files) form.append("images", f, f.name);
  setBusy(el.referenceCreate, true, "Creating…");
  el.referenceStatus.textContent = "Embedding " + files.length + " image(s)…";
  try {
    const created = await api("/v1/reference-sets", { method: "POST", body: form });
    await loadReferenceSets();
    if (!referenceSets.some((s) => s.id === created.id)) {
      el.referenceSet.append(new Option(created.object + " · " + created.shots + " shot(s) · " + created.id, created.id));
    }
    el.referenceSet.value = created.id;
    el.referenceStatus.textContent = "Created " + created.id + " (" + created.shots + " shot(s)), selected above." +
      (created.warning ? " " + created.warning : "");
  } catch (e) {
    const f = describeFailure(e);
    el.referenceStatus.textContent = "Not created: " + f.code + ": " + f.message;
  } finally {
    setBusy(el.referenceCreate, false, "Create reference set");
  }
}

const round = (x, digits) => (typeof x === "number" && Number.isFinite(x) ? x.toFixed(digits) : "–");

function addDetail(term, value) {
  const dt = document.createElement("dt");
  dt.textContent = term;
  const dd = document.createElement("dd");
  dd.textContent = value;
  el.timings.append(dt, dd);
}

function showResult(r) {
  el.placeholder.hidden = true;
  el.result.hidden = false;
  el.score.value = round(r.score, 3);
  el.score.title = String(r.score);
  el.decision.value = r.isAnomalous ? "Anomalous" : "Normal";
  el.decision.className = r.isAnomalous ? "anomalous" : "normal";
  el.threshold.textContent = "score " + (r.isAnomalous ? "≥" : "<") + " threshold " + round(r.threshold, 3);
  el.mode.value = r.mode;
  el.modeDetail.textContent = r.referenceSet
    ? r.referenceSet.shots + " shot(s) · " + r.referenceSet.id
    : "object “" + r.object + "”";
  el.warning.hidden = !r.warning;
  el.warning.textContent = r.warning ? "Warning: " + r.warning : "";
  const t = r.timings || {};
  el.totalTime.value = round(t.total, 0) + " ms";
  el.timeDetail.textContent = "inference " + round(t.inference, 0) + " ms (server)";
  el.timings.replaceChildren();
  for (const [stage, ms] of Object.entries(r.timings || {})) addDetail(stage, round(ms, 1) + " ms");
  if (r.model) addDetail("served model", r.model.name + (r.model.random ? " (random weights)" : ""));
  if (r.image) addDetail("image", r.image.width + " × " + r.image.height + " " + r.image.format);
  if (r.map) addDetail("map", r.map.width + " × " + r.map.height + ", max " + round(r.map.max, 4));
  if (Array.isArray(r.regions)) addDetail("regions", String(r.regions.length));
  if (r.textFeatures !== undefined) addDetail("text features", String(r.textFeatures));
  el.details.hidden = false;
  el.legendBox.hidden = !r.map;
}

function hideResult() {
  el.result.hidden = true;
  el.warning.hidden = true;
  el.details.hidden = true;
  el.legendBox.hidden = true;
  el.placeholder.hidden = !el.figure.hidden;
}

async function score(event) {
  event.preventDefault();
  clearError();
  const file = el.image.files && el.image.files[0];
  const object = el.object.value.trim();
  const missing = [];
  if (!el.apiKey.value.trim()) missing.push(["API key", el.apiKey]);
  if (!file) missing.push(["an image", el.image]);
  if (!object) missing.push(["the object name", el.object]);
  if (missing.length > 0) {
    showError(new ApiFailure("missing_input", "enter " + missing.map((m) => m[0]).join(", ") + ".", 0));
    missing[0][1].focus();
    return;
  }
  const form = new FormData();
  form.append("image", file, file.name);
  form.append("object", object);
  if (el.referenceSet.value) form.append("referenceSet", el.referenceSet.value);
  form.append("map", "png");
  form.append("regions", el.regions.checked ? "true" : "false");
  setBusy(el.scoreButton, true, "Scoring…");
  el.panel.setAttribute("aria-busy", "true");
  try {
    const result = await api("/v1/score", { method: "POST", body: form });
    showResult(result);
    await overlay.setResult(result).catch((e) => showError(new ApiFailure("map_display", describeFailure(e).message, 0)));
  } catch (e) {
    hideResult();
    showError(e);
  } finally {
    setBusy(el.scoreButton, false, "Score");
    el.panel.setAttribute("aria-busy", "false");
  }
}

function restyle() {
  overlay.setStyle(el.colormap.value, Number(el.opacity.value) / 100);
}

el.apiKey.value = localStorage.getItem(KEY_STORAGE) || "";
el.object.value = localStorage.getItem(OBJECT_STORAGE) || "";
el.apiKey.addEventListener("input", () => localStorage.setItem(KEY_STORAGE, el.apiKey.value.trim()));
el.apiKey.addEventListener("change", loadReferenceSets);
el.object.addEventListener("change", () => localStorage.setItem(OBJECT_STORAGE, el.object.value.trim()));
el.keyToggle.addEventListener("click", () => {
  const show = el.apiKey.type === "password";
  el.apiKey.type = show ? "text" : "password";
  el.keyToggle.textContent = show ? "Hide" : "Show";
  el.keyToggle.setAttribute("aria-pressed", String(show));
});
el.keyForget.addEventListener("click", () => {
  localStorage.removeItem(KEY_STORAGE);
  el.apiKey.value = "";
  el.apiKey.focus();
});
el.image.addEventListener("change", async () => {
  clearError();
  hideResult();
  const file = el.image.files && el.image.files[0];
  if (!file) return;
  try {
    await overlay.setImage(file);
    el.figure.hidden = false;
    el.placeholder.hidden = true;
  } catch (e) {
    el.figure.hidden = true;
    el.placeholder.hidden = false;
    showError(new ApiFailure("unreadable_image", "this browser cannot display " + file.name + " (" + describeFailure(e).message + ")", 0));
  }
});
el.referenceSet.addEventListener("change", () => {
  const set = referenceSets.find((s) => s.id === el.referenceSet.value);
  if (set) el.object.value = set.object;
});
el.referenceRefresh.addEventListener("click", loadReferenceSets);
el.referenceCreate.addEventListener("click", createReferenceSet);
el.opacity.addEventListener("input", restyle);
el.colormap.addEventListener("change", restyle);
el.form.addEventListener("submit", score);
restyle();
loadHealth();
loadReferenceSets();
`;

export const demoPageScript = `(() => {\n"use strict";\n${overlayScript}\n${mainScript}\n})();`;
