// Pillow's NEAREST resize (ImagingScaleAffine in libImaging/Geometry.c), used for "P" and "1" images.

/**
 * Source index of every output index: the float accumulation xo += scale, as Pillow does; -1 where
 * it falls outside the source (Pillow then leaves the fill value 0).
 */
function nearestIndices(inSize: number, outSize: number): Int32Array {
  const scale = inSize / outSize;
  const idx = new Int32Array(outSize);
  let pos = scale * 0.5;
  for (let i = 0; i < outSize; i++) {
    const v = Math.trunc(pos);
    idx[i] = v < inSize ? v : -1;
    pos += scale;
  }
  return idx;
}

export function resizeNearestPil(src: Uint8Array, width: number, height: number, channels: number, outW: number, outH: number): Uint8Array {
  if (outW === width && outH === height) return src.slice();
  const xs = nearestIndices(width, outW);
  const ys = nearestIndices(height, outH);
  const out = new Uint8Array(outW * outH * channels);
  let o = 0;
  for (let y = 0; y < outH; y++) {
    const sy = ys[y]!;
    for (let x = 0; x < outW; x++) {
      const sx = xs[x]!;
      if (sy < 0 || sx < 0) {
        o += channels;
        continue;
      }
      const s = (sy * width + sx) * channels;
      for (let c = 0; c < channels; c++) out[o++] = src[s + c]!;
    }
  }
  return out;
}
