// The image kernels module (assembly/image.ts): Pillow's two resample passes (assembly/resample.ts, the same bytes as
// resize-pil.ts's JS passes), PNG unfiltering (assembly/png-unfilter.ts, the same bytes as png-unfilter.ts's loops)
// and the anomaly map PNG's scanlines (assembly/map-scanlines.ts, the same bytes as map-png-stream.ts's loops).
import type { ImageKernel } from "../image/image-kernel";
import type { ResampleCoeffs } from "../image/resize-pil";
import type { AxisPlan } from "../anomaly/upsample";
import { DIST_BASE, DIST_EXTRA, DIST_INDEX, LENGTH_BASE, LENGTH_EXTRA, LENGTH_INDEX } from "../image/deflate";

interface ImageKernelExports {
  memory: WebAssembly.Memory;
  horizontal(src: number, w: number, channels: number, rows: number, out: number, outW: number, bounds: number, weights: number, kpad: number): void;
  vertical(src: number, stride: number, outH: number, out: number, bounds: number, weights: number, kpad: number): void;
  unfilter(raw: number, height: number, stride: number, bpp: number, top: number): number;
  mapScanlines(
    map: number,
    size: number,
    width: number,
    height: number,
    xLo: number,
    xHi: number,
    xW: number,
    yLo: number,
    yHi: number,
    yW: number,
    scale: number,
    rows: number,
    raw: number,
  ): void;
  deflateMatch(
    data: number,
    n: number,
    from: number,
    head: number,
    prev: number,
    symbols: number,
    litFreq: number,
    distFreq: number,
    lengthIndex: number,
    distIndex: number,
  ): number;
  deflateMatchCount(): number;
  adler32(data: number, n: number): number;
  deflateWriterSet(buf: number, pending: number): void;
  deflateWriterBuf(): number;
  deflateWriterPending(): number;
  deflateWrite(symbols: number, count: number, litCode: number, litBits: number, distCode: number, distBits: number, tables: number, out: number): number;
}

const PAGE = 65536;
/** Room after each buffer for the kernel's last wide load or store (see assembly/resample.ts). */
const ROOM = 16;
/** Source rows are copied into the kernel's memory in bands of about this many bytes. */
const BAND_BYTES = 2 ** 20;
/**
 * The kernel's memory only grows, and stays at its largest size for the isolate's life: a resize that would need more
 * than this declines (the JS code runs instead).
 */
const MAX_MEMORY = 32 * 2 ** 20;

const align16 = (n: number) => (n + 15) & ~15;

/**
 * The compressor's state after the data (assembly/deflate-match.ts): head, prev, a block's symbols, counts, the tables
 * (length and distance indexes, bases and extra bits, at the offsets deflateWrite reads), the block's codes and its
 * written bytes (at most 6 per symbol: 48 bits of codes and extra bits).
 */
const DEFLATE_HEAD = 0;
const DEFLATE_PREV = DEFLATE_HEAD + 4 * 2 ** 15;
const DEFLATE_SYMBOLS = DEFLATE_PREV + 4 * 2 ** 15;
const DEFLATE_LIT_FREQ = DEFLATE_SYMBOLS + 4 * 2 ** 16;
const DEFLATE_DIST_FREQ = align16(DEFLATE_LIT_FREQ + 4 * 286);
const DEFLATE_TABLES = align16(DEFLATE_DIST_FREQ + 4 * 30);
const DEFLATE_LIT_CODE = DEFLATE_TABLES + 1024;
const DEFLATE_LIT_BITS = DEFLATE_LIT_CODE + 2 * 288;
const DEFLATE_DIST_CODE = align16(DEFLATE_LIT_BITS + 288);
const DEFLATE_DIST_BITS = DEFLATE_DIST_CODE + 2 * 32;
const DEFLATE_OUT = align16(DEFLATE_DIST_BITS + 32);
const DEFLATE_BYTES = align16(DEFLATE_OUT + 6 * 2 ** 16 + ROOM);

/**
 * One instance per isolate (calls are synchronous and never overlap). The result of `resample` is a view of the
 * kernel's memory: valid until the next call, like a ScratchBytes view.
 */
export class WasmImageKernel implements ImageKernel {
  private readonly k: ImageKernelExports;
  /** The running deflate stream: its data and state in the kernel's memory. */
  private deflate = { data: 0, n: 0, state: 0 };

  /** `module`: image-simd.wasm (workerd: the module wrangler compiled; Node: compiled from the committed file). */
  constructor(module: WebAssembly.Module) {
    this.k = new WebAssembly.Instance(module, {}).exports as unknown as ImageKernelExports;
  }

  /** Bytes of the kernel's linear memory. */
  get memoryBytes(): number {
    return this.k.memory.buffer.byteLength;
  }

  /**
   * Unfilters `raw` in place, 8-bit RGB and RGBA rows (declines other pixel sizes): bands of rows are copied in after
   * the previous row's result, unfiltered, and copied back to where the JS loops would write them (before any row still
   * to be read), so the kernel's memory holds about BAND_BYTES, not the image.
   */
  unfilter(raw: Uint8Array, height: number, stride: number, bpp: number): number | undefined {
    if (bpp !== 3 && bpp !== 4) return undefined;
    if (raw.length < height * (stride + 1)) return undefined;
    const bandRows = Math.max(1, Math.min(height, Math.floor(BAND_BYTES / (stride + 1))));
    const end = stride + bandRows * (stride + 1) + ROOM;
    if (end > MAX_MEMORY) return undefined;
    this.reserve(end);
    const heap = new Uint8Array(this.k.memory.buffer, 0, end);
    for (let y = 0; y < height; y += bandRows) {
      const rows = Math.min(bandRows, height - y);
      if (y > 0) heap.set(raw.subarray((y - 1) * stride, y * stride), 0);
      heap.set(raw.subarray(y * (stride + 1), (y + rows) * (stride + 1)), stride);
      const badRow = this.k.unfilter(stride, rows, stride, bpp, y === 0 ? 1 : 0);
      if (badRow >= 0) return y + badRow;
      raw.set(heap.subarray(stride, stride + rows * stride), y * stride);
    }
    return -1;
  }

  /**
   * The map PNG's scanlines (height rows of the Sub filter byte and width bytes) as a view of the kernel's memory:
   * the map, both axis plans, two float64 rows and the scanlines (about 1 MB for a 1024 x 1024 PNG).
   */
  mapScanlines(map: Float32Array, size: number, width: number, height: number, px: AxisPlan, py: AxisPlan, scale: number): Uint8Array | undefined {
    if (map.length !== size * size || px.lo.length !== width || py.lo.length !== height) return undefined;
    const mapAt = 0;
    const xLo = align16(mapAt + map.length * 4);
    const xHi = align16(xLo + width * 4);
    const xW = align16(xHi + width * 4);
    const yLo = align16(xW + width * 8);
    const yHi = align16(yLo + height * 4);
    const yW = align16(yHi + height * 4);
    const rows = align16(yW + height * 8);
    const raw = align16(rows + 2 * width * 8 + ROOM);
    const bytes = height * (width + 1);
    // the match search's state goes after the scanlines (deflateStart must not grow the memory under them)
    const end = align16(raw + bytes + ROOM) + DEFLATE_BYTES;
    if (end > MAX_MEMORY) return undefined;
    this.reserve(end);
    const heap = this.k.memory.buffer;
    new Float32Array(heap, mapAt, map.length).set(map);
    new Int32Array(heap, xLo, width).set(px.lo);
    new Int32Array(heap, xHi, width).set(px.hi);
    new Float64Array(heap, xW, width).set(px.weight);
    new Int32Array(heap, yLo, height).set(py.lo);
    new Int32Array(heap, yHi, height).set(py.hi);
    new Float64Array(heap, yW, height).set(py.weight);
    this.k.mapScanlines(mapAt, size, width, height, xLo, xHi, xW, yLo, yHi, yW, scale, rows, raw);
    return new Uint8Array(heap, raw, bytes);
  }

  /**
   * Begins the match search on `data`: in place when it is in the kernel's memory (the scanlines of mapScanlines, whose
   * layout left room for the state after them; declined if not: growing the memory would detach `data`), else copied
   * in after the state.
   */
  deflateStart(data: Uint8Array): boolean {
    const n = data.length;
    let at: number;
    let state: number;
    if (data.buffer === this.k.memory.buffer) {
      at = data.byteOffset;
      state = align16(at + n + ROOM);
      if (state + DEFLATE_BYTES > this.k.memory.buffer.byteLength) return false;
    } else {
      state = 0;
      at = DEFLATE_BYTES;
      if (at + n + ROOM > MAX_MEMORY) return false;
      this.reserve(at + n + ROOM);
      new Uint8Array(this.k.memory.buffer, at, n).set(data);
    }
    const heap = this.k.memory.buffer;
    new Int32Array(heap, state + DEFLATE_HEAD, 2 ** 15).fill(0);
    const tables = state + DEFLATE_TABLES;
    new Uint8Array(heap, tables, LENGTH_INDEX.length).set(LENGTH_INDEX);
    new Uint8Array(heap, tables + 272, DIST_INDEX.length).set(DIST_INDEX);
    new Uint16Array(heap, tables + 784, LENGTH_BASE.length).set(LENGTH_BASE);
    new Uint8Array(heap, tables + 848, LENGTH_EXTRA.length).set(LENGTH_EXTRA);
    new Uint16Array(heap, tables + 880, DIST_BASE.length).set(DIST_BASE);
    new Uint8Array(heap, tables + 944, DIST_EXTRA.length).set(DIST_EXTRA);
    this.deflate = { data: at, n, state };
    return true;
  }

  deflateBlock(from: number, litFreq: Uint32Array, distFreq: Uint32Array): { next: number; count: number } {
    const { data, n, state } = this.deflate;
    const next = this.k.deflateMatch(
      data,
      n,
      from,
      state + DEFLATE_HEAD,
      state + DEFLATE_PREV,
      state + DEFLATE_SYMBOLS,
      state + DEFLATE_LIT_FREQ,
      state + DEFLATE_DIST_FREQ,
      state + DEFLATE_TABLES,
      state + DEFLATE_TABLES + 272,
    );
    const count = this.k.deflateMatchCount();
    const heap = this.k.memory.buffer;
    litFreq.set(new Uint32Array(heap, state + DEFLATE_LIT_FREQ, 286));
    distFreq.set(new Uint32Array(heap, state + DEFLATE_DIST_FREQ, 30));
    return { next, count };
  }

  deflateWrite(
    count: number,
    lit: Uint16Array,
    litBits: Uint8Array,
    dist: Uint16Array,
    distBits: Uint8Array,
    bits: { buf: number; pending: number },
    out: Uint8Array,
    at: number,
  ): number {
    const { state } = this.deflate;
    const heap = this.k.memory.buffer;
    const nLit = Math.min(lit.length, 288);
    const nDist = Math.min(dist.length, 32);
    new Uint16Array(heap, state + DEFLATE_LIT_CODE, nLit).set(lit.subarray(0, nLit));
    new Uint8Array(heap, state + DEFLATE_LIT_BITS, nLit).set(litBits.subarray(0, nLit));
    new Uint16Array(heap, state + DEFLATE_DIST_CODE, nDist).set(dist.subarray(0, nDist));
    new Uint8Array(heap, state + DEFLATE_DIST_BITS, nDist).set(distBits.subarray(0, nDist));
    this.k.deflateWriterSet(bits.buf, bits.pending);
    const n = this.k.deflateWrite(
      state + DEFLATE_SYMBOLS,
      count,
      state + DEFLATE_LIT_CODE,
      state + DEFLATE_LIT_BITS,
      state + DEFLATE_DIST_CODE,
      state + DEFLATE_DIST_BITS,
      state + DEFLATE_TABLES,
      state + DEFLATE_OUT,
    );
    out.set(new Uint8Array(heap, state + DEFLATE_OUT, n), at);
    bits.buf = this.k.deflateWriterBuf() >>> 0;
    bits.pending = this.k.deflateWriterPending();
    return at + n;
  }

  deflateAdler(): number {
    return this.k.adler32(this.deflate.data, this.deflate.n) >>> 0;
  }

  private reserve(end: number): void {
    const have = this.k.memory.buffer.byteLength;
    if (end > have) this.k.memory.grow(Math.ceil((end - have) / PAGE));
  }

  resample(
    src: Uint8Array,
    width: number,
    channels: number,
    rowFirst: number,
    rowCount: number,
    outW: number,
    outH: number,
    horizontal: ResampleCoeffs | undefined,
    vertical: ResampleCoeffs | undefined,
  ): Uint8Array | undefined {
    if (channels !== 1 && channels !== 3 && channels !== 4) return undefined;
    if (!horizontal && !vertical) return undefined;
    const w = horizontal ? outW : width;
    const stride = w * channels;
    const hKpad = horizontal ? (horizontal.ksize + 3) & ~3 : 0;
    const vKpad = vertical ? (vertical.ksize + 3) & ~3 : 0;
    const bandRows = horizontal ? Math.max(1, Math.min(rowCount, Math.floor(BAND_BYTES / (width * channels)))) : 0;
    // Layout: horizontal bounds and weights, vertical ones, the source band, the horizontal result, the final result.
    const hBounds = 0;
    const hWeights = align16(hBounds + outW * 8 * (horizontal ? 1 : 0));
    const vBounds = align16(hWeights + outW * hKpad * 4);
    const vWeights = align16(vBounds + outH * 8 * (vertical ? 1 : 0));
    const band = align16(vWeights + outH * vKpad * 4);
    const mid = align16(band + bandRows * width * channels + ROOM);
    const final = align16(mid + rowCount * stride + ROOM);
    const end = final + (vertical ? outH * stride + ROOM : 0);
    if (end > MAX_MEMORY) return undefined;
    this.reserve(end);
    const heap = this.k.memory.buffer;
    if (horizontal) {
      writeCoeffs(heap, hBounds, hWeights, horizontal, outW, hKpad, 0);
      const bytes = new Uint8Array(heap);
      const rowBytes = width * channels;
      for (let r = 0; r < rowCount; r += bandRows) {
        const rows = Math.min(bandRows, rowCount - r);
        bytes.set(src.subarray((rowFirst + r) * rowBytes, (rowFirst + r + rows) * rowBytes), band);
        this.k.horizontal(band, width, channels, rows, mid + r * stride, outW, hBounds, hWeights, hKpad);
      }
    } else {
      new Uint8Array(heap).set(src.subarray(rowFirst * stride, (rowFirst + rowCount) * stride), mid);
    }
    if (!vertical) return new Uint8Array(heap, mid, rowCount * stride);
    writeCoeffs(heap, vBounds, vWeights, vertical, outH, vKpad, rowFirst);
    this.k.vertical(mid, stride, outH, final, vBounds, vWeights, vKpad);
    return new Uint8Array(heap, final, outH * stride);
  }
}

/** Bounds (first index less `shift`, taps) and weights padded with zeros to `kpad` per output (no view per output). */
function writeCoeffs(heap: ArrayBuffer, boundsAt: number, weightsAt: number, c: ResampleCoeffs, n: number, kpad: number, shift: number): void {
  const bounds = new Int32Array(heap, boundsAt, n * 2);
  const weights = new Int32Array(heap, weightsAt, n * kpad);
  const { ksize } = c;
  for (let i = 0; i < n; i++) {
    const taps = c.bounds[i * 2 + 1]!;
    bounds[i * 2] = c.bounds[i * 2]! - shift;
    bounds[i * 2 + 1] = taps;
    for (let t = 0; t < kpad; t++) weights[i * kpad + t] = t < taps ? c.weights[i * ksize + t]! : 0;
  }
}
