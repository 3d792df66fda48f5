// Browser code of the demo page: colormaps and the canvas overlay (image, colourised map, region boxes).
/**
 * Plain ES2020 run in the browser as-is (no bundler touches it). Kept free of backticks and "${" so it can live in
 * a template string. Defines `createOverlay(canvas, legend, legendMax)` for page-script.ts, in the same scope.
 */
export const overlayScript = `
/** The overlay canvas's longer side: large photos are drawn at most this big (the API caps its map PNG there too)... */
const OVERLAY_MAX_SIDE = 1024;
/** ...and small ones are scaled up to this, so boxes and labels stay crisp when the page stretches the canvas. */
const OVERLAY_MIN_SIDE = 768;

const COLORMAPS = {
  jet(t) {
    const c = (x) => Math.min(1, Math.max(0, x));
    return [c(1.5 - Math.abs(4 * t - 3)), c(1.5 - Math.abs(4 * t - 2)), c(1.5 - Math.abs(4 * t - 1))];
  },
  /** matplotlib's inferno as a degree-6 polynomial fit (Matt Zucker's), within about 1% of the table. */
  inferno(t) {
    const k = [
      [0.0002189403691192265, 0.001651004631001012, -0.01948089843709184],
      [0.1065134194856116, 0.5639564367884091, 3.932712388889277],
      [11.60249308247187, -3.972853965665698, -15.9423941062914],
      [-41.70399613139459, 17.43639888205313, 44.35414519872813],
      [77.162935699427, -33.40235894210092, -81.80730925738993],
      [-71.31942824499214, 32.62606426397723, 73.20951985803202],
      [25.13112622477341, -12.24266895238567, -23.07032500287172],
    ];
    return [0, 1, 2].map((ch) => {
      let v = 0;
      for (let i = 6; i >= 0; i--) v = v * t + k[i][ch];
      return Math.min(1, Math.max(0, v));
    });
  },
};

/** 256 RGB entries, 0..255. */
function colormapTable(name) {
  const f = COLORMAPS[name] || COLORMAPS.jet;
  const table = new Uint8ClampedArray(256 * 3);
  for (let i = 0; i < 256; i++) {
    const rgb = f(i / 255);
    for (let ch = 0; ch < 3; ch++) table[i * 3 + ch] = Math.round(rgb[ch] * 255);
  }
  return table;
}

function base64Bytes(b64) {
  const s = atob(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** The gray levels of the API's map PNG: decoded without colour management, so a level stays a level. */
async function decodeMapLevels(map) {
  const blob = new Blob([base64Bytes(map.data)], { type: "image/png" });
  const bitmap = await createImageBitmap(blob, { colorSpaceConversion: "none", premultiplyAlpha: "none" });
  const canvas = document.createElement("canvas");
  canvas.width = bitmap.width;
  canvas.height = bitmap.height;
  const ctx = canvas.getContext("2d", { willReadFrequently: true });
  ctx.drawImage(bitmap, 0, 0);
  bitmap.close();
  const rgba = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
  const levels = new Uint8Array(canvas.width * canvas.height);
  for (let i = 0; i < levels.length; i++) levels[i] = rgba[i * 4];
  return { width: canvas.width, height: canvas.height, levels, max: map.max };
}

function createOverlay(canvas, legend, legendMax) {
  const state = { image: null, map: null, regions: [], imageSize: null, colormap: "jet", opacity: 0.6 };

  /** Colourised map with per-pixel alpha: strong where the map is high, the photo shows through where it is low. */
  function tintedMap(table) {
    const { width, height, levels } = state.map;
    const tinted = new ImageData(width, height);
    const px = tinted.data;
    for (let i = 0; i < levels.length; i++) {
      const v = levels[i];
      px[i * 4] = table[v * 3];
      px[i * 4 + 1] = table[v * 3 + 1];
      px[i * 4 + 2] = table[v * 3 + 2];
      px[i * 4 + 3] = Math.round(255 * state.opacity * (0.3 + 0.7 * (v / 255)));
    }
    const layer = document.createElement("canvas");
    layer.width = width;
    layer.height = height;
    layer.getContext("2d").putImageData(tinted, 0, 0);
    return layer;
  }

  function drawRegions(ctx, w, h) {
    const size = state.imageSize || { width: state.image.width, height: state.image.height };
    const sx = w / size.width;
    const sy = h / size.height;
    const line = Math.max(2, Math.round(Math.max(w, h) / 300));
    const fontPx = Math.max(12, Math.round(Math.max(w, h) / 45));
    ctx.font = "600 " + fontPx + "px system-ui, sans-serif";
    ctx.textBaseline = "top";
    for (const r of state.regions) {
      const x = r.x * sx, y = r.y * sy, rw = r.width * sx, rh = r.height * sy;
      ctx.lineWidth = line + 2;
      ctx.strokeStyle = "rgba(0, 0, 0, 0.75)";
      ctx.strokeRect(x, y, rw, rh);
      ctx.lineWidth = line;
      ctx.strokeStyle = "#ffffff";
      ctx.strokeRect(x, y, rw, rh);
      const label = Number(r.score).toFixed(2);
      const tw = ctx.measureText(label).width + 8;
      const th = fontPx + 4;
      const ly = y - th >= 0 ? y - th : y;
      ctx.fillStyle = "rgba(0, 0, 0, 0.75)";
      ctx.fillRect(x, ly, tw, th);
      ctx.fillStyle = "#ffffff";
      ctx.fillText(label, x + 4, ly + 2);
    }
  }

  function drawLegend(table) {
    const ctx = legend.getContext("2d");
    const row = new ImageData(256, 1);
    for (let i = 0; i < 256; i++) {
      row.data.set([table[i * 3], table[i * 3 + 1], table[i * 3 + 2], 255], i * 4);
    }
    ctx.putImageData(row, 0, 0);
    legendMax.textContent = state.map ? "max " + Number(state.map.max).toPrecision(3) : "";
  }

  function draw() {
    const img = state.image;
    if (!img) return;
    const side = Math.max(img.width, img.height);
    const scale = Math.min(OVERLAY_MAX_SIDE / side, Math.max(1, OVERLAY_MIN_SIDE / side));
    const w = Math.max(1, Math.round(img.width * scale));
    const h = Math.max(1, Math.round(img.height * scale));
    canvas.width = w;
    canvas.height = h;
    const ctx = canvas.getContext("2d", { willReadFrequently: true });
    ctx.imageSmoothingEnabled = true;
    ctx.imageSmoothingQuality = "high";
    ctx.drawImage(img, 0, 0, w, h);
    const table = colormapTable(state.colormap);
    if (state.map && state.opacity > 0) ctx.drawImage(tintedMap(table), 0, 0, w, h);
    if (state.regions.length > 0) drawRegions(ctx, w, h);
    drawLegend(table);
    const parts = ["The chosen image"];
    if (state.map) parts.push("with its anomaly heatmap (" + state.colormap + ", bright = high)");
    if (state.regions.length > 0) parts.push("and " + state.regions.length + " anomalous region box(es)");
    canvas.setAttribute("aria-label", parts.join(" "));
  }

  return {
    /** A new photo: whatever map belonged to the previous one is dropped. */
    async setImage(file) {
      const bitmap = await createImageBitmap(file);
      if (state.image) state.image.close();
      Object.assign(state, { image: bitmap, map: null, regions: [], imageSize: null });
      draw();
    },
    async setResult(result) {
      state.map = result.map ? await decodeMapLevels(result.map) : null;
      state.regions = Array.isArray(result.regions) ? result.regions : [];
      state.imageSize = result.image && result.image.width ? result.image : null;
      draw();
    },
    setStyle(colormap, opacity) {
      state.colormap = colormap;
      state.opacity = opacity;
      draw();
    },
    hasMap: () => state.map !== null,
  };
}
`;
