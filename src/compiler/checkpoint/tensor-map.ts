// Small shared helpers over named tensors: shape-checked lookup, shape formatting, transpose and row concat.
import type { Tensor } from "./clip-checkpoint";
import { CheckpointError } from "./checkpoint-error";

/** Named tensors as they come out of a file (a Map) or go into one (a plain record). */
export type TensorSource = ReadonlyMap<string, Tensor> | Readonly<Record<string, Tensor>>;

export function lookup(tensors: TensorSource, key: string): Tensor | undefined {
  if (tensors instanceof Map) return tensors.get(key);
  const rec = tensors as Readonly<Record<string, Tensor>>;
  return Object.hasOwn(rec, key) ? rec[key] : undefined;
}

export function keysOf(tensors: TensorSource): string[] {
  return tensors instanceof Map ? [...tensors.keys()] : Object.keys(tensors);
}

export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function fmtShape(shape: readonly number[]): string {
  return `[${shape.join(", ")}]`;
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** The tensor at `key`, which must exist and have exactly `shape`; returned as a plain {shape, data} (data shared). */
export function take(tensors: TensorSource, key: string, shape: readonly number[]): Tensor {
  const t = lookup(tensors, key);
  if (t === undefined) throw new CheckpointError("missing_tensor", `missing tensor "${key}" (expected shape ${fmtShape(shape)})`, key);
  if (!sameShape(t.shape, shape)) {
    throw new CheckpointError("shape_mismatch", `tensor "${key}" has shape ${fmtShape(t.shape)}, expected ${fmtShape(shape)}`, key);
  }
  if (t.data.length !== numel(shape)) {
    throw new CheckpointError("shape_mismatch", `tensor "${key}" holds ${t.data.length} values for shape ${fmtShape(shape)}`, key);
  }
  return { shape: [...t.shape], data: t.data };
}

/** [rows, cols] -> [cols, rows]. */
export function transpose2d(t: Tensor): Tensor {
  const [rows, cols] = t.shape as [number, number];
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    for (let c = 0; c < cols; c++) out[c * rows + r] = t.data[base + c]!;
  }
  return { shape: [cols, rows], data: out };
}

/** Stacks tensors along their first dimension (q, k, v -> in_proj). */
export function concatRows(parts: readonly Tensor[]): Tensor {
  const rest = parts[0]!.shape.slice(1);
  const total = parts.reduce((n, p) => n + p.data.length, 0);
  const out = new Float32Array(total);
  let off = 0;
  for (const p of parts) {
    out.set(p.data, off);
    off += p.data.length;
  }
  return { shape: [parts.reduce((n, p) => n + p.shape[0]!, 0), ...rest], data: out };
}

/** Rejects tensors the mapping did not consume: they mean a feature (or a depth) the config did not describe. */
export function rejectUnconsumed(all: string[], used: Set<string>, ignored: (key: string) => boolean, layout: string): void {
  const extra = all.filter((k) => !used.has(k) && !ignored(k));
  if (extra.length > 0) {
    const shown = extra
      .slice(0, 5)
      .map((k) => `"${k}"`)
      .join(", ");
    throw new CheckpointError(
      "unexpected_tensor",
      `${layout} checkpoint has ${extra.length} tensor(s) the config does not account for: ${shown}${extra.length > 5 ? ", ..." : ""}`,
      extra[0],
    );
  }
}
