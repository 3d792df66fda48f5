// The image encoder's copies and elementwise steps around the blocks (patch unfolding, positions, the projections'
// L2 norm), in the kernel module: the same values as the TypeScript loops they replace, without their per-element
// typed-array access.

/**
 * out [G²][3·P·P] = the P x P patches of pixels [3][S][S] (S = G·P): row gy·G + gx, column (c, i, j) as the
 * conv weight's [3][P][P].
 */
export function unfoldPatches(pixels: usize, S: i32, P: i32, G: i32, out: usize): void {
  const rowBytes = <usize>S << 2;
  const planeBytes = <usize>(S * S) << 2;
  const patchRowBytes = <usize>P << 2;
  let o = out;
  for (let gy = 0; gy < G; gy++) {
    for (let gx = 0; gx < G; gx++) {
      const corner = pixels + <usize>(gy * P) * rowBytes + <usize>(gx * P) * 4;
      for (let c = 0; c < 3; c++) {
        for (let i = 0; i < P; i++) {
          const from = corner + <usize>c * planeBytes + <usize>i * rowBytes;
          let j: usize = 0;
          for (; j + 16 <= patchRowBytes; j += 16) v128.store(o + j, v128.load(from + j));
          for (; j < patchRowBytes; j += 4) store<f32>(o + j, load<f32>(from + j));
          o += patchRowBytes;
        }
      }
    }
  }
}

/** x[i] = x[i] + y[i] for `count` floats (f32 adds: what a JS add of two float32 values stored back gives). */
export function addInPlace(x: usize, y: usize, count: i32): void {
  let i = 0;
  for (; i + 4 <= count; i += 4) {
    const p = <usize>i << 2;
    v128.store(x + p, f32x4.add(v128.load(x + p), v128.load(y + p)));
  }
  for (; i < count; i++) {
    const p = <usize>i << 2;
    store<f32>(x + p, load<f32>(x + p) + load<f32>(y + p));
  }
}

/**
 * Each of the `rows` rows of `width` floats at x divided by its L2 norm, in place, as the TypeScript it replaces
 * computed it: the sum of squares in float64 (squares of float32 values are exact in float64), added left to right,
 * its square root rounded to float32, then float32 divisions (a float64 quotient of float32 values rounded to
 * float32 is the float32 quotient). Four rows' sums run side by side (one sum's adds wait on each other).
 */
export function l2NormalizeRows(x: usize, rows: i32, width: i32): void {
  const rowBytes = <usize>width << 2;
  let r = 0;
  for (; r + 4 <= rows; r += 4) {
    const x0 = x + <usize>r * rowBytes;
    const x1 = x0 + rowBytes;
    const x2 = x1 + rowBytes;
    const x3 = x2 + rowBytes;
    let s0: f64 = 0;
    let s1: f64 = 0;
    let s2: f64 = 0;
    let s3: f64 = 0;
    for (let at: usize = 0; at < rowBytes; at += 4) {
      const v0 = <f64>load<f32>(x0 + at);
      const v1 = <f64>load<f32>(x1 + at);
      const v2 = <f64>load<f32>(x2 + at);
      const v3 = <f64>load<f32>(x3 + at);
      s0 += v0 * v0;
      s1 += v1 * v1;
      s2 += v2 * v2;
      s3 += v3 * v3;
    }
    divideRow(x0, width, <f32>Math.sqrt(s0));
    divideRow(x1, width, <f32>Math.sqrt(s1));
    divideRow(x2, width, <f32>Math.sqrt(s2));
    divideRow(x3, width, <f32>Math.sqrt(s3));
  }
  for (; r < rows; r++) {
    const row = x + <usize>r * rowBytes;
    let s: f64 = 0;
    for (let at: usize = 0; at < rowBytes; at += 4) {
      const v = <f64>load<f32>(row + at);
      s += v * v;
    }
    divideRow(row, width, <f32>Math.sqrt(s));
  }
}

// @ts-ignore: decorator
@inline function divideRow(row: usize, width: i32, n: f32): void {
  const n4 = f32x4.splat(n);
  let i = 0;
  for (; i + 4 <= width; i += 4) {
    const p = <usize>i << 2;
    v128.store(row + p, f32x4.div(v128.load(row + p), n4));
  }
  for (; i < width; i++) {
    const p = <usize>i << 2;
    store<f32>(row + p, load<f32>(row + p) / n);
  }
}
