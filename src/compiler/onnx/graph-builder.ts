// Builds an ONNX ModelProto (field numbers from onnx.proto3) from nodes, initializers and typed inputs/outputs.
import { concatBytes } from "../concat-bytes";
import { ProtoMessage } from "./protobuf-writer";

export const DataType = { FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6, INT64: 7, FLOAT16: 10 } as const;
export type DataTypeId = (typeof DataType)[keyof typeof DataType];

export type AttributeValue = number | string | number[] | { float: number } | { floats: number[] } | { ints: number[] };
export type Dim = number | string;

interface ValueInfo {
  name: string;
  type: DataTypeId;
  dims: Dim[];
}

const IR_VERSION = 8;

/** A built graph and, when large weights were stored outside it, the contents of its external data file. */
export interface GraphFiles {
  model: Uint8Array;
  externalData?: Uint8Array;
}
export const OPSET = 17;

export class GraphBuilder {
  private readonly nodes: ProtoMessage[] = [];
  private readonly initializers: ProtoMessage[] = [];
  private readonly inputs: ValueInfo[] = [];
  private readonly outputs: ValueInfo[] = [];
  private readonly names = new Set<string>();
  private counter = 0;
  private readonly domains = new Set<string>();
  private readonly external: Uint8Array[] = [];
  private externalLength = 0;
  initializerBytes = 0;

  /**
   * With `externalData`, initializers of at least `minBytes` are stored in a separate file (ONNX external data),
   * which lets the runtime copy each weight once into its heap instead of parsing a protobuf holding them all.
   */
  constructor(
    readonly name: string,
    private readonly externalData?: { location: string; minBytes: number },
  ) {}

  /** A fresh value name with a readable prefix. */
  fresh(prefix: string): string {
    let n = `${prefix}_${this.counter++}`;
    while (this.names.has(n)) n = `${prefix}_${this.counter++}`;
    this.names.add(n);
    return n;
  }

  input(name: string, type: DataTypeId, dims: Dim[]): string {
    this.claim(name);
    this.inputs.push({ name, type, dims });
    return name;
  }

  output(name: string, type: DataTypeId, dims: Dim[]): void {
    this.outputs.push({ name, type, dims });
  }

  /** Adds a constant tensor; raw bytes are little-endian in ONNX's layout for the type. */
  initializer(name: string, type: DataTypeId, dims: number[], raw: Uint8Array): string {
    this.claim(name);
    const t = new ProtoMessage();
    t.packedVarints(1, dims).varint(2, type).string(8, name);
    if (this.externalData && raw.length >= this.externalData.minBytes) {
      // Offsets aligned to 64 bytes so typed views of the data file never straddle an element.
      const pad = (64 - (this.externalLength % 64)) % 64;
      if (pad) this.pushExternal(new Uint8Array(pad));
      const entry = (key: string, value: string) => new ProtoMessage().string(1, key).string(2, value);
      t.message(13, entry("location", this.externalData.location));
      t.message(13, entry("offset", String(this.externalLength)));
      t.message(13, entry("length", String(raw.length)));
      t.varint(14, 1);
      this.pushExternal(raw);
    } else {
      t.bytes(9, raw);
    }
    this.initializers.push(t);
    this.initializerBytes += raw.length;
    return name;
  }

  floats(name: string, dims: number[], data: Float32Array): string {
    return this.initializer(name, DataType.FLOAT, dims, bytesOf(data));
  }

  int64s(name: string, values: readonly number[]): string {
    return this.initializer(name, DataType.INT64, [values.length], bytesOf(BigInt64Array.from(values.map(BigInt))));
  }

  scalar(name: string, value: number): string {
    return this.initializer(name, DataType.FLOAT, [], bytesOf(Float32Array.of(value)));
  }

  /** Adds a node and returns its output names (fresh ones unless given). */
  node(opType: string, inputs: string[], attrs: Record<string, AttributeValue> = {}, outputs: string[] | number = 1, domain = ""): string[] {
    const outs = typeof outputs === "number" ? Array.from({ length: outputs }, () => this.fresh(opType.toLowerCase())) : outputs;
    if (typeof outputs !== "number")
      outs.forEach((o) => {
        this.claim(o);
      });
    const n = new ProtoMessage();
    for (const i of inputs) n.string(1, i);
    for (const o of outs) n.string(2, o);
    n.string(3, this.fresh(`n_${opType}`)).string(4, opType);
    for (const [key, value] of Object.entries(attrs)) n.message(5, encodeAttribute(key, value));
    if (domain) {
      n.string(7, domain);
      this.domains.add(domain);
    }
    this.nodes.push(n);
    return outs;
  }

  /** Single-output shorthand. */
  op(opType: string, inputs: string[], attrs: Record<string, AttributeValue> = {}, domain = ""): string {
    return this.node(opType, inputs, attrs, 1, domain)[0]!;
  }

  build(producer = "edge-anomaly compiler"): Uint8Array {
    const g = new ProtoMessage();
    for (const n of this.nodes) g.message(1, n);
    g.string(2, this.name);
    for (const t of this.initializers) g.message(5, t);
    for (const i of this.inputs) g.message(11, encodeValueInfo(i));
    for (const o of this.outputs) g.message(12, encodeValueInfo(o));
    const m = new ProtoMessage();
    m.varint(1, IR_VERSION).string(2, producer);
    m.message(7, g);
    m.message(8, new ProtoMessage().string(1, "").varint(2, OPSET));
    for (const d of this.domains) m.message(8, new ProtoMessage().string(1, d).varint(2, 1));
    return m.toBytes();
  }

  /** The external data file's contents (empty without `externalData`). */
  buildExternalData(): Uint8Array {
    return concatBytes(this.external);
  }

  private pushExternal(chunk: Uint8Array): void {
    this.external.push(chunk);
    this.externalLength += chunk.length;
  }

  private claim(name: string): void {
    if (this.names.has(name) && !this.inputs.some((i) => i.name === name)) {
      // Names are produced once; a clash means a builder bug, not bad input.
      throw new Error(`duplicate ONNX value name ${name}`);
    }
    this.names.add(name);
  }
}

function encodeValueInfo(v: ValueInfo): ProtoMessage {
  const shape = new ProtoMessage();
  for (const d of v.dims) {
    shape.message(1, typeof d === "number" ? new ProtoMessage().varint(1, d) : new ProtoMessage().string(2, d));
  }
  const tensorType = new ProtoMessage().varint(1, v.type).message(2, shape);
  return new ProtoMessage().string(1, v.name).message(2, new ProtoMessage().message(1, tensorType));
}

// AttributeProto.AttributeType: FLOAT 1, INT 2, STRING 3, FLOATS 6, INTS 7.
function encodeAttribute(name: string, value: AttributeValue): ProtoMessage {
  const a = new ProtoMessage().string(1, name);
  if (typeof value === "number") {
    if (!Number.isInteger(value)) throw new Error(`attribute ${name}: use {float} for non-integers`);
    return a.varint(3, value).varint(20, 2);
  }
  if (typeof value === "string") return a.string(4, value).varint(20, 3);
  if (Array.isArray(value)) return a.packedVarints(8, value).varint(20, 7);
  if ("float" in value) return a.float(2, value.float).varint(20, 1);
  if ("floats" in value) return a.packedFloats(7, value.floats).varint(20, 6);
  return a.packedVarints(8, value.ints).varint(20, 7);
}

export function bytesOf(a: Float32Array | BigInt64Array | Int32Array | Int8Array | Uint8Array | Uint16Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}
