// Resizes the grid of a ViT positional embedding like open_clip's resize_pos_embed (torch bicubic, antialias=True).
import type { Tensor } from "./clip-checkpoint";
import { CheckpointError } from "./checkpoint-error";
import { fmtShape } from "./tensor-map";

/*
 * open_clip: F.interpolate(grid [1, W, G, G], size=(Gn, Gn), mode="bicubic", antialias=True, align_corners=False).
 * That is aten's _upsample_bicubic2d_aa: PIL-style separable resampling (horizontal pass, then vertical), support
 * 2 * max(scale, 1), centre scale * (i + 0.5), weights normalised to sum 1 over the in-range taps, in float32.
 * Its filter is HelperInterpCubic::aa_filter with use_keys_cubic=true, i.e. a = -0.5 (for PIL parity), NOT the
 * a = -0.75 of torch's non-antialiased bicubic. Every float op below is rounded to float32 as aten does.
 */
const A = -0.5;
const f = Math.fround;

function aaCubic(signed: number): number {
  const x = Math.abs(signed);
  if (x < 1) return f(f(f(f(f((A + 2) * x) - (A + 3)) * x) * x) + 1);
  if (x < 2) return f(f(f(f(f(f(A * x) - 5 * A) * x) + 8 * A) * x) - 4 * A);
  return 0;
}

export interface AxisTaps {
  /** First input index. */
  start: number;
  /** One normalised weight per input index start, start + 1, ... */
  weights: Float32Array;
}

/** The per-output-index taps of torch's antialiased bicubic along one axis (align_corners=False, no scale_factor). */
export function aaBicubicTaps(inSize: number, outSize: number): AxisTaps[] {
  const scale = f(inSize / outSize);
  const support = scale >= 1 ? f(2 * scale) : 2;
  const invscale = scale >= 1 ? f(1 / scale) : 1;
  const maxTaps = Math.ceil(support) * 2 + 1;
  const taps: AxisTaps[] = [];
  for (let i = 0; i < outSize; i++) {
    const center = f(scale * (i + 0.5));
    const start = Math.max(Math.trunc(f(center - support) + 0.5), 0);
    const size = Math.min(Math.max(Math.min(Math.trunc(f(center + support) + 0.5), inSize) - start, 0), maxTaps);
    const weights = new Float32Array(size);
    let total = 0;
    for (let j = 0; j < size; j++) {
      const w = aaCubic(f((f(j + start - center) + 0.5) * invscale));
      weights[j] = w;
      total = f(total + w);
    }
    if (total !== 0) for (let j = 0; j < size; j++) weights[j] = f(weights[j]! / total);
    taps.push({ start, weights });
  }
  return taps;
}

/**
 * Resamples one axis of a row-major [outer, n, inner] block to [outer, m, inner], accumulating in float32 in tap
 * order like aten's interpolate_aa_single_dim.
 */
function resampleAxis(src: Float32Array, outer: number, n: number, inner: number, m: number): Float32Array {
  const taps = aaBicubicTaps(n, m);
  const dst = new Float32Array(outer * m * inner);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < m; i++) {
      const { start, weights } = taps[i]!;
      const outBase = (o * m + i) * inner;
      for (let c = 0; c < inner; c++) {
        let acc = 0;
        for (let j = 0; j < weights.length; j++) {
          const prod = f(src[(o * n + start + j) * inner + c]! * weights[j]!);
          acc = j === 0 ? prod : f(acc + prod);
        }
        dst[outBase + c] = acc;
      }
    }
  }
  return dst;
}

/** [1 + gridOld^2, W] -> [1 + gridNew^2, W]; the class position (row 0) is kept, the grid resampled. */
export function resizePositionalEmbedding(pos: Tensor, gridOld: number, gridNew: number): Tensor {
  if (pos.shape.length !== 2 || pos.shape[0] !== 1 + gridOld * gridOld) {
    throw new CheckpointError(
      "shape_mismatch",
      `positional embedding of shape ${fmtShape(pos.shape)} is not [1 + ${gridOld}*${gridOld}, width]`,
      "visual.positional_embedding",
    );
  }
  if (!Number.isInteger(gridNew) || gridNew <= 0) throw new RangeError(`gridNew must be a positive integer, got ${gridNew}`);
  const width = pos.shape[1]!;
  if (gridNew === gridOld) return { shape: [...pos.shape], data: pos.data.slice() };
  const img = pos.data.subarray(width);
  // Channels are innermost here ([G, G, W]); aten's [1, W, G, G] does the same arithmetic per channel.
  const horizontal = resampleAxis(img, gridOld, gridOld, width, gridNew); // [G, Gn, W]
  const both = resampleAxis(horizontal, 1, gridOld, gridNew * width, gridNew); // [Gn, Gn, W]
  const out = new Float32Array((1 + gridNew * gridNew) * width);
  out.set(pos.data.subarray(0, width), 0);
  out.set(both, width);
  return { shape: [1 + gridNew * gridNew, width], data: out };
}
