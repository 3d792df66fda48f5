// JPEG decoder reproducing libjpeg-turbo's default output (what PIL gives): Huffman baseline,
// extended and progressive, 8-bit; islow IDCT; fancy upsampling; jdcolor.c colour conversion.
import type { HuffmanTable } from "./bit-reader";
import { cmykToRgb, interleave3, yccToRgb } from "./color";
import { idctIslow } from "./idct";
import { decodeScan } from "./scan";
import type { ScanComponent } from "./scan";
import { parseDht, parseDqt } from "./tables";
import { upsample } from "./upsample";

export class JpegFormatError extends Error {
  constructor(
    message: string,
    readonly kind: "corrupt" | "unsupported" | "too_large",
  ) {
    super(message);
  }
}

export interface JpegPixels {
  readonly width: number;
  readonly height: number;
  readonly channels: 1 | 3;
  readonly data: Uint8Array;
}

interface Component extends ScanComponent {
  readonly id: number;
  readonly tq: number;
  readonly width: number;
  readonly height: number;
  quant?: Uint16Array;
  scanned: boolean;
}

interface Frame {
  readonly width: number;
  readonly height: number;
  readonly progressive: boolean;
  readonly maxH: number;
  readonly maxV: number;
  readonly mcusPerLine: number;
  readonly mcusPerColumn: number;
  readonly components: Component[];
}

const corrupt = (m: string) => new JpegFormatError(m, "corrupt");

function parseFrame(body: Uint8Array, marker: number, maxBytes: number): Frame {
  if (marker !== 0xc0 && marker !== 0xc1 && marker !== 0xc2)
    throw new JpegFormatError("only Huffman baseline/extended/progressive JPEG is supported", "unsupported");
  if (body[0] !== 8) throw new JpegFormatError(`${body[0]}-bit JPEG is not supported`, "unsupported");
  const height = (body[1]! << 8) | body[2]!;
  const width = (body[3]! << 8) | body[4]!;
  const n = body[5]!;
  if (n !== 1 && n !== 3 && n !== 4) throw new JpegFormatError(`JPEG with ${n} components is not supported`, "unsupported");
  if (body.length < 6 + 3 * n) throw corrupt("short frame header");
  const specs = Array.from({ length: n }, (_, i) => ({
    id: body[6 + i * 3]!,
    h: body[7 + i * 3]! >> 4,
    v: body[7 + i * 3]! & 15,
    tq: body[8 + i * 3]!,
  }));
  if (specs.some((s) => s.h < 1 || s.h > 4 || s.v < 1 || s.v > 4)) throw corrupt("bad sampling factors");
  const maxH = Math.max(...specs.map((s) => s.h));
  const maxV = Math.max(...specs.map((s) => s.v));
  if (specs.some((s) => maxH % s.h !== 0 || maxV % s.v !== 0)) throw new JpegFormatError("fractional sampling is not supported", "unsupported");
  const mcusPerLine = Math.ceil(width / (8 * maxH));
  const mcusPerColumn = Math.ceil(height / (8 * maxV));
  const bytes = specs.reduce((a, s) => a + mcusPerLine * s.h * mcusPerColumn * s.v * 64 * 3, 0) + width * height * 3;
  if (bytes > maxBytes) throw new JpegFormatError(`decoding needs about ${Math.ceil(bytes / 2 ** 20)} MB`, "too_large");
  const components = specs.map((s): Component => {
    const cw = Math.ceil((width * s.h) / maxH);
    const ch = Math.ceil((height * s.v) / maxV);
    const blocksPerRow = mcusPerLine * s.h;
    return {
      ...s,
      width: cw,
      height: ch,
      blocksWide: Math.ceil(cw / 8),
      blocksHigh: Math.ceil(ch / 8),
      blocksPerRow,
      coeffs: new Int16Array(blocksPerRow * mcusPerColumn * s.v * 64),
      scanned: false,
    };
  });
  return { width, height, progressive: marker === 0xc2, maxH, maxV, mcusPerLine, mcusPerColumn, components };
}

/** The component's samples at full size, cropped to the image (IDCT, then upsampling). */
function componentPlane(f: Frame, c: Component): Uint8Array {
  if (!c.quant) throw corrupt(`no quantization table ${c.tq}`);
  const stride = c.blocksPerRow * 8;
  const plane = new Uint8Array(stride * c.blocksHigh * 8);
  for (let by = 0; by < c.blocksHigh; by++) {
    for (let bx = 0; bx < c.blocksWide; bx++) {
      idctIslow(c.coeffs, (by * c.blocksPerRow + bx) * 64, c.quant, plane, by * 8 * stride + bx * 8, stride);
    }
  }
  return upsample({ data: plane, stride, width: c.width, height: c.height }, f.maxH / c.h, f.maxV / c.v, f.width, f.height);
}

export function decodeJpegPixels(data: Uint8Array, maxBytes: number): JpegPixels {
  if (data[0] !== 0xff || data[1] !== 0xd8) throw corrupt("no SOI marker");
  const quant = new Map<number, Uint16Array>();
  const huffman = new Map<string, HuffmanTable>();
  let frame: Frame | undefined;
  let restartInterval = 0;
  let jfif = false;
  let adobe: number | undefined;
  let sawEoi = false;
  let pos = 2;
  while (pos < data.length) {
    if (data[pos] !== 0xff) {
      pos++; // stray bytes between segments (libjpeg warns and skips them)
      continue;
    }
    const marker = data[pos + 1];
    if (marker === undefined) break;
    if (marker === 0xff || marker === 0x00 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
      pos += marker === 0xff ? 1 : 2;
      continue;
    }
    if (marker === 0xd9) {
      sawEoi = true;
      break;
    }
    if (pos + 4 > data.length) throw corrupt("truncated segment");
    const length = (data[pos + 2]! << 8) | data[pos + 3]!;
    if (length < 2 || pos + 2 + length > data.length) throw corrupt("truncated segment");
    const body = data.subarray(pos + 4, pos + 2 + length);
    pos += 2 + length;
    try {
      if (marker === 0xdb) parseDqt(body, quant);
      else if (marker === 0xc4) parseDht(body, huffman);
    } catch (err) {
      throw corrupt((err as Error).message);
    }
    if (marker === 0xdd) restartInterval = (body[0]! << 8) | body[1]!;
    else if (marker === 0xe0 && String.fromCharCode(...body.subarray(0, 5)) === "JFIF\0") jfif = true;
    else if (marker === 0xee && String.fromCharCode(...body.subarray(0, 5)) === "Adobe" && body.length >= 12) adobe = body[11];
    else if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      if (frame) throw new JpegFormatError("multi-frame JPEG is not supported", "unsupported");
      frame = parseFrame(body, marker, maxBytes);
    } else if (marker === 0xda) {
      if (!frame) throw corrupt("scan before frame header");
      pos = runScan(data, pos, body, frame, quant, huffman, restartInterval);
    }
  }
  if (!frame) throw corrupt("no frame header");
  const f = frame;
  if (!f.components.every((c) => c.scanned)) throw corrupt("truncated: a component was never scanned");
  if (!sawEoi && f.progressive) throw corrupt("truncated progressive JPEG (no EOI)");
  const planes = f.components.map((c) => componentPlane(f, c));
  if (planes.length === 1) return { width: f.width, height: f.height, channels: 1, data: planes[0]! };
  if (planes.length === 3) {
    const ids = f.components.map((c) => c.id).join(",");
    const rgb = jfif ? false : adobe !== undefined ? adobe === 0 : ids === "82,71,66";
    const d = rgb ? interleave3(planes[0]!, planes[1]!, planes[2]!) : yccToRgb(planes[0]!, planes[1]!, planes[2]!);
    return { width: f.width, height: f.height, channels: 3, data: d };
  }
  const ycck = adobe !== undefined && adobe !== 0;
  return { width: f.width, height: f.height, channels: 3, data: cmykToRgb(planes, ycck) };
}

/** Decodes the scan whose SOS body is `body` and whose data starts at `pos`; returns where it ends. */
function runScan(
  data: Uint8Array,
  pos: number,
  body: Uint8Array,
  f: Frame,
  quant: Map<number, Uint16Array>,
  huffman: Map<string, HuffmanTable>,
  restartInterval: number,
): number {
  const ns = body[0]!;
  if (ns < 1 || ns > 4 || body.length < 1 + 2 * ns + 3) throw corrupt("bad scan header");
  const comps: Component[] = [];
  for (let i = 0; i < ns; i++) {
    const c = f.components.find((x) => x.id === body[1 + 2 * i]);
    if (!c) throw corrupt("scan names an unknown component");
    const t = body[2 + 2 * i]!;
    c.dcTable = huffman.get(`dc${t >> 4}`);
    c.acTable = huffman.get(`ac${t & 15}`);
    // libjpeg latches the quantization table when a component first appears in a scan.
    c.quant ??= quant.get(c.tq);
    comps.push(c);
  }
  const ss = body[1 + 2 * ns]!;
  const se = body[2 + 2 * ns]!;
  const ah = body[3 + 2 * ns]! >> 4;
  const al = body[3 + 2 * ns]! & 15;
  const needsDc = !f.progressive || (ss === 0 && ah === 0);
  const needsAc = !f.progressive || ss > 0;
  if (comps.some((c) => (needsDc && !c.dcTable) || (needsAc && !c.acTable))) throw corrupt("missing Huffman table");
  const reader = decodeScan(data, pos, {
    components: comps,
    mcusPerLine: f.mcusPerLine,
    mcusPerColumn: f.mcusPerColumn,
    progressive: f.progressive,
    ss,
    se: f.progressive ? se : 63,
    ah,
    al,
    restartInterval,
  });
  if (reader.exhausted) throw corrupt("truncated image data");
  if (reader.starved)
    throw corrupt(`image data ends before the ${f.width}x${f.height} frame is complete (truncated file, or a frame header larger than its data)`);
  for (const c of comps) c.scanned = true;
  return reader.pos;
}
