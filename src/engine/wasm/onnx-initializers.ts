// Reads the initializers of an ONNX ModelProto (field numbers from onnx.proto3) by name, with their bytes taken from
// the graph itself (raw_data) or from its external data file: what the engine needs to pack a bundle's weights.

/** TensorProto.DataType values the compiler writes. */
export const OnnxType = { FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6, INT64: 7 } as const;

export interface OnnxInitializer {
  name: string;
  dims: number[];
  dataType: number;
  /** A view into the graph or the external data (not a copy). */
  bytes: Uint8Array;
}

interface Field {
  field: number;
  wire: number;
  /** varint value (wire 0) */
  value: number;
  /** payload (wire 2) */
  bytes: Uint8Array;
}

function* fields(buf: Uint8Array): Generator<Field> {
  let p = 0;
  const varint = (): number => {
    let v = 0;
    let mul = 1;
    for (;;) {
      if (p >= buf.length) throw new Error("onnx: truncated varint");
      const b = buf[p++]!;
      v += (b & 127) * mul;
      if (b < 128) return v;
      mul *= 128;
    }
  };
  const empty = new Uint8Array(0);
  while (p < buf.length) {
    const key = varint();
    const field = Math.floor(key / 8);
    const wire = key & 7;
    if (wire === 0) yield { field, wire, value: varint(), bytes: empty };
    else if (wire === 2) {
      const n = varint();
      if (p + n > buf.length) throw new Error("onnx: truncated field");
      yield { field, wire, value: 0, bytes: buf.subarray(p, p + n) };
      p += n;
    } else if (wire === 5) p += 4;
    else if (wire === 1) p += 8;
    else throw new Error(`onnx: unsupported wire type ${wire}`);
  }
}

function packedVarints(buf: Uint8Array): number[] {
  const out: number[] = [];
  let v = 0;
  let mul = 1;
  for (const b of buf) {
    v += (b & 127) * mul;
    mul *= 128;
    if (b < 128) {
      out.push(v);
      v = 0;
      mul = 1;
    }
  }
  return out;
}

const text = new TextDecoder();

function readTensor(t: Uint8Array, external: Uint8Array | undefined): OnnxInitializer {
  let name = "";
  let dataType = 0;
  const dims: number[] = [];
  let raw: Uint8Array | undefined;
  const ext: Record<string, string> = {};
  for (const f of fields(t)) {
    if (f.field === 1) {
      if (f.wire === 2) dims.push(...packedVarints(f.bytes));
      else dims.push(f.value);
    } else if (f.field === 2) dataType = f.value;
    else if (f.field === 8) name = text.decode(f.bytes);
    else if (f.field === 9) raw = f.bytes;
    else if (f.field === 13) {
      let key = "";
      let value = "";
      for (const e of fields(f.bytes)) {
        if (e.field === 1) key = text.decode(e.bytes);
        else if (e.field === 2) value = text.decode(e.bytes);
      }
      ext[key] = value;
    }
  }
  if (!raw && "location" in ext) {
    if (!external) throw new Error(`onnx: initializer ${name} is in ${ext.location}, which was not given`);
    const offset = Number(ext.offset ?? 0);
    const length = Number(ext.length);
    if (!(Number.isInteger(offset) && Number.isInteger(length) && offset >= 0 && offset + length <= external.length)) {
      throw new Error(`onnx: initializer ${name} lies outside its external data (${offset}+${length} of ${external.length})`);
    }
    raw = external.subarray(offset, offset + length);
  }
  if (!raw) throw new Error(`onnx: initializer ${name} has no raw_data (only raw and external data are read)`);
  return { name, dims, dataType, bytes: raw };
}

/** Every initializer of the model's graph by name; `external` is the contents of its one external data file. */
export function readInitializers(model: Uint8Array, external?: Uint8Array): Map<string, OnnxInitializer> {
  const out = new Map<string, OnnxInitializer>();
  for (const m of fields(model)) {
    if (m.field !== 7 || m.wire !== 2) continue;
    for (const g of fields(m.bytes)) {
      if (g.field !== 5 || g.wire !== 2) continue;
      const t = readTensor(g.bytes, external);
      out.set(t.name, t);
    }
  }
  return out;
}

/** Typed accessors that check type and element count. */
export class InitializerSet {
  constructor(private readonly all: Map<string, OnnxInitializer>) {}

  has(name: string): boolean {
    return this.all.has(name);
  }

  private get(name: string, type: number, elementBytes: number, count?: number): OnnxInitializer {
    const t = this.all.get(name);
    if (!t) throw new Error(`onnx: the graph has no initializer ${name}`);
    if (t.dataType !== type) throw new Error(`onnx: initializer ${name} has data type ${t.dataType}, expected ${type}`);
    const n = t.dims.reduce((a, b) => a * b, 1);
    if (t.bytes.length !== n * elementBytes) throw new Error(`onnx: initializer ${name} holds ${t.bytes.length} bytes for dims ${t.dims}`);
    if (count !== undefined && n !== count) throw new Error(`onnx: initializer ${name} has ${n} values, expected ${count}`);
    return t;
  }

  dims(name: string): number[] {
    const t = this.all.get(name);
    if (!t) throw new Error(`onnx: the graph has no initializer ${name}`);
    return t.dims;
  }

  /** A copy (aligned) of a float32 initializer. */
  floats(name: string, count?: number): Float32Array {
    const t = this.get(name, OnnxType.FLOAT, 4, count);
    return new Float32Array(t.bytes.slice().buffer);
  }

  int8s(name: string, count?: number): Int8Array {
    const t = this.get(name, OnnxType.INT8, 1, count);
    return new Int8Array(t.bytes.buffer, t.bytes.byteOffset, t.bytes.length);
  }
}
