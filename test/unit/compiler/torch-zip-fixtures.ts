// Hand-built pickles and torch.save-shaped zip archives for the reader's tests (no Python needed).
import { zipSync } from "fflate";
import { concatBytes } from "../../../src/compiler/concat-bytes";

/** Pickle bytes assembled opcode by opcode (protocol 2). */
export class PickleBuilder {
  private readonly parts: number[] = [0x80, 2];

  op(...codes: number[]): this {
    this.parts.push(...codes);
    return this;
  }
  str(s: string): this {
    const b = new TextEncoder().encode(s);
    this.parts.push(0x58, b.length & 0xff, (b.length >> 8) & 0xff, (b.length >> 16) & 0xff, b.length >>> 24, ...b);
    return this;
  }
  int(n: number): this {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setInt32(0, n, true);
    this.parts.push(0x4a, ...b);
    return this;
  }
  global(module: string, name: string): this {
    this.parts.push(0x63, ...new TextEncoder().encode(`${module}\n${name}\n`));
    return this;
  }
  mark(): this {
    return this.op(0x28);
  }
  tuple(): this {
    return this.op(0x74);
  }
  intTuple(ns: readonly number[]): this {
    this.mark();
    for (const n of ns) this.int(n);
    return this.tuple();
  }
  emptyTuple(): this {
    return this.op(0x29);
  }
  reduce(): this {
    return this.op(0x52);
  }
  orderedDict(): this {
    return this.global("collections", "OrderedDict").emptyTuple().reduce();
  }
  stop(): Uint8Array {
    return new Uint8Array([...this.parts, 0x2e]);
  }
}

export const OP = {
  MARK: 0x28,
  SETITEM: 0x73,
  SETITEMS: 0x75,
  EMPTY_DICT: 0x7d,
  BINGET: 0x68,
  BUILD: 0x62,
  NEWFALSE: 0x89,
  BINPERSID: 0x51,
  INST: 0x69,
  OBJ: 0x6f,
  STACK_GLOBAL: 0x93,
} as const;

export interface StoredTensor {
  /** Storage class: FloatStorage, HalfStorage, BFloat16Storage, LongStorage. */
  storageType?: string;
  storage: Uint8Array;
  storageNumel: number;
  offset?: number;
  shape: number[];
  stride?: number[];
}

function contiguousStride(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    s[d] = acc;
    acc *= shape[d]!;
  }
  return s;
}

/**
 * Pushes `_rebuild_tensor_v2(('storage', type, key, 'cpu', numel), offset, shape, stride, False, OrderedDict())`;
 * `legacy` adds the legacy format's sixth persistent-id item, the view metadata (None, or [key, offset, numel]).
 */
export function pushTensor(p: PickleBuilder, key: string, t: StoredTensor, legacy?: { view?: [string, number, number] }): void {
  p.global("torch._utils", "_rebuild_tensor_v2").mark();
  p.mark()
    .str("storage")
    .global("torch", t.storageType ?? "FloatStorage")
    .str(key)
    .str("cpu")
    .int(t.storageNumel);
  if (legacy?.view) p.mark().str(legacy.view[0]).int(legacy.view[1]).int(legacy.view[2]).tuple();
  else if (legacy) p.op(0x4e);
  p.tuple().op(OP.BINPERSID);
  p.int(t.offset ?? 0)
    .intTuple(t.shape)
    .intTuple(t.stride ?? contiguousStride(t.shape))
    .op(OP.NEWFALSE)
    .orderedDict()
    .tuple()
    .reduce();
}

/** An OrderedDict state-dict pickle; storages are named 0, 1, ... in order. */
export function stateDictPickle(tensors: ReadonlyArray<[string, StoredTensor]>, legacy = false): Uint8Array {
  const p = new PickleBuilder().orderedDict().mark();
  tensors.forEach(([name, t], i) => {
    p.str(name);
    pushTensor(p, String(i), t, legacy ? {} : undefined);
  });
  return p.op(OP.SETITEMS).stop();
}

export function f32Bytes(values: ArrayLike<number>): Uint8Array {
  return new Uint8Array(Float32Array.from(values).buffer);
}

/**
 * A torch.save-shaped archive: {name}/data.pkl, {name}/data/{i}, {name}/version. Stored (level 0) with every entry's
 * data padded to a 64-byte boundary by an "FB" extra field, as torch writes it; `align: false` leaves it unaligned.
 */
export function torchZip(pickle: Uint8Array, storages: readonly Uint8Array[], options: { name?: string; level?: 0 | 6; align?: boolean } = {}): Uint8Array {
  const name = options.name ?? "archive";
  const level = options.level ?? 0;
  const entries: [string, Uint8Array][] = [[`${name}/data.pkl`, pickle], ...storages.map((s, i) => [`${name}/data/${i}`, s] as [string, Uint8Array])];
  entries.push([`${name}/version`, new TextEncoder().encode("3\n")]);
  const files: Record<string, [Uint8Array, { extra?: Record<number, Uint8Array> }]> = {};
  let offset = 0;
  for (const [path, data] of entries) {
    const header = 30 + new TextEncoder().encode(path).length;
    const pad = level === 0 && options.align !== false ? (64 - ((offset + header + 4) % 64)) % 64 : -1;
    files[path] = [data, pad >= 0 ? { extra: { 16966: new Uint8Array(pad).fill(0x5a) } } : {}];
    offset += header + (pad >= 0 ? 4 + pad : 0) + data.length;
  }
  return zipSync(files, { level });
}

/** A contiguous float32 state dict as torch.save writes it. */
export function torchStateDictFile(tensors: Readonly<Record<string, { shape: readonly number[]; data: Float32Array }>>): Uint8Array {
  const entries = Object.entries(tensors).map(
    ([k, t]) => [k, { storage: new Uint8Array(t.data.slice().buffer), storageNumel: t.data.length, shape: [...t.shape] }] as [string, StoredTensor],
  );
  return torchZip(
    stateDictPickle(entries),
    entries.map(([, t]) => t.storage),
  );
}

/** A legacy torch.save file (torch < 1.6): magic, protocol 1001, sys_info, the state dict, its storage keys, the storages. */
export function legacyTorchFile(tensors: ReadonlyArray<[string, StoredTensor]>, keys?: string[]): Uint8Array {
  const magic = new Uint8Array(10);
  let m = 0x1950a86a20f9469cfc6cn;
  for (let i = 0; i < 10; i++, m >>= 8n) magic[i] = Number(m & 0xffn);
  const parts: Uint8Array[] = [
    new PickleBuilder().op(0x8a, 10, ...magic).stop(),
    new PickleBuilder().int(1001).stop(),
    new PickleBuilder().op(OP.EMPTY_DICT).str("protocol_version").int(1001).op(OP.SETITEM).str("little_endian").op(0x88).op(OP.SETITEM).stop(),
    stateDictPickle(tensors, true),
  ];
  const names = keys ?? tensors.map((_, i) => String(i));
  const list = new PickleBuilder().op(0x5d).mark();
  for (const k of names) list.str(k);
  parts.push(list.op(0x65).stop());
  for (const k of names) {
    const t = tensors[Number(k)]?.[1];
    if (!t) continue; // a listed key no tensor refers to: no bytes to write
    const count = new Uint8Array(8);
    new DataView(count.buffer).setBigInt64(0, BigInt(t.storageNumel), true);
    parts.push(count, t.storage);
  }
  return concatBytes(parts);
}
