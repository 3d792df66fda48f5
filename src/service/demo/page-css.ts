// The demo page's stylesheet: one neutral light theme, two columns that stack on narrow screens.
export const demoPageCss = `
:root {
  --bg: #f3f4f7; --panel: #fff; --text: #1b1f2a; --muted: #5b6475; --line: #d9dde5;
  --accent: #2456d3; --accent-dark: #1a42a8; --bad: #b42318; --bad-bg: #fdecea; --good: #137a3f; --good-bg: #e6f4ec;
  --warn: #7a4d00; --warn-bg: #fff4d6; --focus: #f5b400;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif;
  color: var(--text); background: var(--bg);
}
* { box-sizing: border-box; }
body { margin: 0; line-height: 1.45; }
code { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: 0.92em; }
.top {
  display: flex; flex-wrap: wrap; gap: 0.5rem 2rem; align-items: center; justify-content: space-between;
  padding: 1rem 1.5rem; background: #151a26; color: #f3f4f7;
}
.top h1 { margin: 0; font-size: 1.35rem; letter-spacing: 0.01em; }
.tagline { margin: 0.1rem 0 0; color: #aab2c5; font-size: 0.9rem; }
.model { margin: 0; font-size: 0.9rem; color: #d5dae6; }
.badge {
  display: inline-block; margin-left: 0.4rem; padding: 0.05rem 0.5rem; border-radius: 999px;
  font-size: 0.78rem; font-weight: 600; background: var(--warn-bg); color: var(--warn);
}
.layout {
  display: grid; gap: 1.25rem; padding: 1.25rem 1.5rem; max-width: 1280px; margin: 0 auto;
  grid-template-columns: minmax(300px, 380px) minmax(0, 1fr); align-items: start;
}
@media (max-width: 820px) { .layout { grid-template-columns: minmax(0, 1fr); padding: 1rem; } }
.panel { background: var(--panel); border: 1px solid var(--line); border-radius: 12px; padding: 1.1rem 1.25rem; }
.panel h2 { margin: 0 0 0.9rem; font-size: 1.05rem; }
.field { margin-bottom: 0.9rem; }
.field > label { display: block; font-weight: 600; font-size: 0.9rem; margin-bottom: 0.3rem; }
.field.check { display: flex; gap: 0.5rem; align-items: center; }
.field.check label { font-weight: 500; margin: 0; }
.row { display: flex; gap: 0.5rem; }
.row > input, .row > select { flex: 1; min-width: 0; }
input[type="password"], input[type="text"], input:not([type]), select {
  width: 100%; padding: 0.5rem 0.6rem; border: 1px solid #b9c0cc; border-radius: 8px; font: inherit; background: #fff;
}
input[type="file"] { width: 100%; font: inherit; font-size: 0.9rem; }
.hint { margin: 0.3rem 0 0; color: var(--muted); font-size: 0.84rem; }
button { font: inherit; border-radius: 8px; cursor: pointer; }
button:disabled { opacity: 0.6; cursor: progress; }
.primary {
  width: 100%; padding: 0.65rem; border: 0; background: var(--accent); color: #fff; font-weight: 600; font-size: 1rem;
}
.primary:hover:not(:disabled) { background: var(--accent-dark); }
.secondary { padding: 0.45rem 0.8rem; border: 1px solid var(--accent); background: #fff; color: var(--accent); font-weight: 600; }
.ghost { padding: 0.45rem 0.7rem; border: 1px solid #b9c0cc; background: #f7f8fa; color: var(--text); }
.link { padding: 0; border: 0; background: none; color: var(--accent); text-decoration: underline; font-size: inherit; }
:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
.subpanel { margin: 0 0 0.9rem; padding: 0.6rem 0.8rem; border: 1px solid var(--line); border-radius: 8px; background: #fafbfc; }
.subpanel summary { cursor: pointer; font-weight: 600; font-size: 0.9rem; }
.subpanel[open] summary { margin-bottom: 0.7rem; }
.error {
  margin-top: 0.9rem; padding: 0.7rem 0.8rem; border-radius: 8px; border: 1px solid #f1b5ae;
  background: var(--bad-bg); color: var(--bad); font-size: 0.92rem;
}
.error code { font-weight: 700; }
.warning {
  margin: 0 0 1rem; padding: 0.6rem 0.8rem; border-radius: 8px; border: 1px solid #f0d27a;
  background: var(--warn-bg); color: var(--warn); font-size: 0.9rem;
}
.summary { display: grid; grid-template-columns: repeat(4, minmax(0, 1fr)); gap: 0.75rem; margin-bottom: 1rem; }
@media (max-width: 1100px) { .summary { grid-template-columns: repeat(2, minmax(0, 1fr)); } }
@media (max-width: 560px) { .summary { grid-template-columns: minmax(0, 1fr); } }
.stat { padding: 0.6rem 0.8rem; border: 1px solid var(--line); border-radius: 10px; display: flex; flex-direction: column; gap: 0.15rem; }
.stat .label { font-size: 0.78rem; text-transform: uppercase; letter-spacing: 0.06em; color: var(--muted); font-weight: 600; }
.big { font-size: 1.9rem; font-weight: 700; font-variant-numeric: tabular-nums; line-height: 1.15; }
#decision { font-size: 1.2rem; font-weight: 700; padding: 0.1rem 0.55rem; border-radius: 6px; align-self: flex-start; }
#decision.anomalous { background: var(--bad-bg); color: var(--bad); }
#decision.normal { background: var(--good-bg); color: var(--good); }
#mode, #total-time { font-size: 1.2rem; font-weight: 600; font-variant-numeric: tabular-nums; }
figure { margin: 0; }
#overlay {
  display: block; width: auto; height: auto; max-width: 100%; max-height: 68vh; margin: 0 auto; border-radius: 8px;
  background: repeating-conic-gradient(#e9ebef 0% 25%, #fff 0% 50%) 0 0 / 16px 16px;
}
figcaption { margin-top: 0.6rem; display: flex; flex-wrap: wrap; gap: 0.6rem 1.5rem; align-items: center; justify-content: space-between; }
.legend { display: flex; align-items: center; gap: 0.4rem; font-size: 0.82rem; color: var(--muted); font-variant-numeric: tabular-nums; }
#legend { width: 160px; height: 12px; border-radius: 3px; border: 1px solid var(--line); image-rendering: auto; }
.controls { display: flex; flex-wrap: wrap; align-items: center; gap: 0.4rem 0.6rem; font-size: 0.88rem; }
.controls select { width: auto; padding: 0.25rem 0.4rem; }
.kv { display: grid; grid-template-columns: max-content 1fr; gap: 0.2rem 1rem; margin: 0; font-size: 0.88rem; }
.kv dt { color: var(--muted); }
.kv dd { margin: 0; font-variant-numeric: tabular-nums; overflow-wrap: anywhere; }
[hidden] { display: none !important; }
`;
