// torch.save zip archives: tensors through strides and dtypes, wrapper dicts, and pickles that must be refused.
import { describe, expect, it } from "vitest";
import { restrictedUnpickle } from "../../../src/compiler/checkpoint/restricted-unpickler";
import { parseTorchCheckpoint } from "../../../src/compiler/checkpoint/torch-checkpoint";
import { expectCheckpointError } from "./checkpoint-fixtures";
import {
  legacyTorchFile,
  OP,
  PickleBuilder,
  type StoredTensor,
  f32Bytes,
  pushTensor,
  stateDictPickle,
  torchStateDictFile,
  torchZip,
} from "./torch-zip-fixtures";

const iota = (n: number): number[] => Array.from({ length: n }, (_, i) => i * 0.5 - 3);

describe("parseTorchCheckpoint", () => {
  it("reads a contiguous float32 state dict in key order, stored or deflated", () => {
    const w = { shape: [3, 4], data: Float32Array.from(iota(12)) };
    const b = { shape: [3], data: Float32Array.from([1, 2, 3]) };
    const file = torchStateDictFile({ "fc.weight": w, "fc.bias": b });
    const out = parseTorchCheckpoint(file);
    expect([...out.keys()]).toEqual(["fc.weight", "fc.bias"]);
    expect(out.get("fc.weight")).toEqual({ dtype: "F32", shape: [3, 4], data: w.data });
    expect(out.get("fc.bias")!.data).toEqual(b.data);
    const pickle = stateDictPickle([["x", { storage: f32Bytes([5, 6]), storageNumel: 2, shape: [2] }]]);
    expect(parseTorchCheckpoint(torchZip(pickle, [f32Bytes([5, 6])], { level: 6 })).get("x")!.data).toEqual(Float32Array.from([5, 6]));
    expect(parseTorchCheckpoint(torchZip(pickle, [f32Bytes([5, 6])], { align: false })).get("x")!.data).toEqual(Float32Array.from([5, 6]));
    // aligned stored data (as torch writes it) is read in place, not copied
    const aligned = torchZip(pickle, [f32Bytes([5, 6])]);
    expect(parseTorchCheckpoint(aligned).get("x")!.data.buffer).toBe(aligned.buffer);
  });

  it("materialises transposed and offset views through their strides", () => {
    const storage = f32Bytes(iota(20));
    const pickle = stateDictPickle([
      // the transpose of the first 12 values seen as [3, 4]
      ["t", { storage, storageNumel: 20, shape: [4, 3], stride: [1, 4] }],
      // rows 1..2 of the values from 5 seen as [.., 3]
      ["s", { storage, storageNumel: 20, offset: 5, shape: [2, 3], stride: [3, 1] }],
      // every other column, a scalar and a broadcast (stride 0) view
      ["c", { storage, storageNumel: 20, offset: 1, shape: [2, 2], stride: [4, 2] }],
      ["z", { storage, storageNumel: 20, offset: 7, shape: [], stride: [] }],
      ["b", { storage, storageNumel: 20, offset: 2, shape: [3, 2], stride: [0, 1] }],
    ]);
    const out = parseTorchCheckpoint(torchZip(pickle, [storage, storage, storage, storage, storage]));
    const v = iota(20);
    expect([...out.get("t")!.data]).toEqual([0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11].map((i) => v[i]));
    expect([...out.get("s")!.data]).toEqual([5, 6, 7, 8, 9, 10].map((i) => v[i]));
    expect([...out.get("c")!.data]).toEqual([1, 3, 5, 7].map((i) => v[i]));
    expect(out.get("z")).toMatchObject({ shape: [], data: Float32Array.from([v[7]!]) });
    expect([...out.get("b")!.data]).toEqual([2, 3, 2, 3, 2, 3].map((i) => v[i]));
  });

  it("decodes half, bfloat16 and int64 storages", () => {
    const half = new Uint8Array(new Uint16Array([0x3c00, 0xc000, 0x3555]).buffer); // 1, -2, ~1/3
    const bf16 = new Uint8Array(new Uint16Array([0x3f80, 0x4049]).buffer); // 1, 3.140625
    const i64 = new Uint8Array(new BigInt64Array([0n, 7n, -3n]).buffer);
    const pickle = stateDictPickle([
      ["h", { storageType: "HalfStorage", storage: half, storageNumel: 3, shape: [3] }],
      ["b", { storageType: "BFloat16Storage", storage: bf16, storageNumel: 2, shape: [2] }],
      ["l", { storageType: "LongStorage", storage: i64, storageNumel: 3, shape: [1, 3] }],
    ]);
    const out = parseTorchCheckpoint(torchZip(pickle, [half, bf16, i64]));
    expect(out.get("h")!.dtype).toBe("F16");
    expect(out.get("h")!.data[0]).toBe(1);
    expect(out.get("h")!.data[1]).toBe(-2);
    expect(out.get("h")!.data[2]).toBeCloseTo(1 / 3, 3);
    expect([...out.get("b")!.data]).toEqual([1, 3.140625]);
    expect([...out.get("l")!.data]).toEqual([0, 7, -3]);
    expect([...parseTorchCheckpoint(torchZip(pickle, [half, bf16, i64]), { include: (k) => k !== "l" }).keys()]).toEqual(["h", "b"]);
  });

  it("unwraps a wrapper key and ignores a state dict's _metadata and non-tensor values", () => {
    const storage = f32Bytes([1, 2]);
    // {'trainable_linearlayer': OrderedDict(fc.0.bias=...) with BUILD {'_metadata': {...}}, 'epoch': 3}
    const p = new PickleBuilder().op(OP.EMPTY_DICT).mark().str("trainable_linearlayer").orderedDict().str("fc.0.bias");
    pushTensor(p, "0", { storage, storageNumel: 2, shape: [2] });
    p.op(OP.SETITEM);
    p.op(OP.EMPTY_DICT)
      .str("_metadata")
      .orderedDict()
      .str("fc")
      .op(OP.EMPTY_DICT)
      .str("version")
      .int(1)
      .op(OP.SETITEM)
      .op(OP.SETITEM)
      .op(OP.SETITEM)
      .op(OP.BUILD);
    p.str("epoch").int(3).op(OP.SETITEMS);
    const file = torchZip(p.stop(), [storage], { name: "adapter" });
    expect([...parseTorchCheckpoint(file, { unwrap: "trainable_linearlayer" }).keys()]).toEqual(["fc.0.bias"]);
    expect([...parseTorchCheckpoint(file).keys()]).toEqual(["trainable_linearlayer.fc.0.bias"]);
  });

  it("reads the legacy (pre-1.6) format: pickles in a row, then the storages", () => {
    const storage = f32Bytes(iota(12));
    const half = new Uint8Array(new Uint16Array([0x3c00, 0xc000]).buffer);
    const tensors: [string, StoredTensor][] = [
      ["w", { storage, storageNumel: 12, shape: [4, 3], stride: [1, 4] }],
      ["b", { storageType: "HalfStorage", storage: half, storageNumel: 2, shape: [2] }],
    ];
    const out = parseTorchCheckpoint(legacyTorchFile(tensors));
    const v = iota(12);
    expect([...out.get("w")!.data]).toEqual([0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11].map((i) => v[i]));
    expect([...out.get("b")!.data]).toEqual([1, -2]);
    const file = legacyTorchFile(tensors);
    expectCheckpointError(() => parseTorchCheckpoint(file.subarray(0, file.length - 1)), "bad_archive", ["storage 1", "file ends first"]);
    expectCheckpointError(() => parseTorchCheckpoint(legacyTorchFile(tensors, ["0", "1", "7"])), "bad_archive", ["storage 7"]);
    // the object pickle is checked like any other
    const evil = legacyTorchFile(tensors);
    const at = new TextDecoder("latin1").decode(evil).indexOf("collections\nOrderedDict");
    evil.set(new TextEncoder().encode("posix\nsystem\n\n\n\n\n\n\n\n\n\n"), at);
    expectCheckpointError(() => parseTorchCheckpoint(evil), "unsafe_pickle", ["posix.system"]);
  });

  it("refuses views reaching outside their storage, missing storages and non-archives", () => {
    const storage = f32Bytes(iota(6));
    const over = stateDictPickle([["w", { storage, storageNumel: 6, offset: 1, shape: [2, 3] }]]);
    expectCheckpointError(() => parseTorchCheckpoint(torchZip(over, [storage])), "offset_out_of_range", ['"w"', "element 6"]);
    const short = stateDictPickle([["w", { storage, storageNumel: 8, shape: [2, 3] }]]);
    expectCheckpointError(() => parseTorchCheckpoint(torchZip(short, [storage])), "truncated", ["fewer than its 8"]);
    const two = stateDictPickle([
      ["a", { storage, storageNumel: 6, shape: [6] }],
      ["b", { storage, storageNumel: 6, shape: [6] }],
    ]);
    expectCheckpointError(() => parseTorchCheckpoint(torchZip(two, [storage])), "truncated", ["storage 1"]);
    expectCheckpointError(() => parseTorchCheckpoint(new TextEncoder().encode("\x80\x02}q\x00.")), "bad_archive", [
      "neither a torch.save zip archive nor a legacy",
    ]);
    const file = torchZip(two, [storage, storage]);
    expectCheckpointError(() => parseTorchCheckpoint(file.subarray(0, file.length - 30)), "bad_archive");
  });
});

describe("restricted unpickler", () => {
  const refused = (pickle: Uint8Array, mentions: string[]): void => {
    expectCheckpointError(() => restrictedUnpickle(pickle), "unsafe_pickle", mentions);
  };

  it("refuses globals outside the state-dict set, naming them", () => {
    for (const [module, name] of [
      ["os", "system"],
      ["posix", "system"],
      ["builtins", "eval"],
      ["__builtin__", "exec"],
      ["torch", "load"],
      ["collections", "OrderedDictX"],
    ]) {
      refused(new PickleBuilder().global(module!, name!).str("echo pwned").op(0x85).reduce().stop(), [`global ${module}.${name} is not allowed`]);
    }
  });

  it("checks the whole stream before running anything", () => {
    // BINGET of an unset memo fails the moment it runs; the os.system after it must be the reported error.
    refused(new PickleBuilder().op(OP.BINGET, 9).global("os", "system").stop(), ["os.system"]);
    // and a valid state dict with a bad global hidden after STOP-less trailing data is refused too
    const good = stateDictPickle([["w", { storage: f32Bytes([1]), storageNumel: 1, shape: [1] }]]);
    const trailing = new PickleBuilder()
      .op(...good.subarray(2, good.length - 1))
      .global("builtins", "eval")
      .op(0x30)
      .stop();
    refused(trailing, ["builtins.eval"]);
  });

  it("refuses calling an allowed global that is not a callable of a state dict", () => {
    refused(new PickleBuilder().global("torch", "FloatStorage").intTuple([10]).reduce().stop(), ["calls torch.FloatStorage"]);
    refused(new PickleBuilder().global("torch", "FloatStorage").intTuple([10]).op(0x81).stop(), ["NEWOBJ", "torch.FloatStorage"]);
  });

  it("refuses opcodes that import or call by themselves", () => {
    refused(
      new PickleBuilder()
        .mark()
        .op(OP.INST, ...new TextEncoder().encode("os\nsystem\n"))
        .stop(),
      ["INST"],
    );
    refused(new PickleBuilder().mark().global("collections", "OrderedDict").op(OP.OBJ).stop(), ["OBJ"]);
    refused(new PickleBuilder().str("os").str("system").op(OP.STACK_GLOBAL).stop(), ["STACK_GLOBAL"]);
  });

  it("rejects malformed streams with bad_pickle", () => {
    expectCheckpointError(() => restrictedUnpickle(new Uint8Array([0x80, 2, 0x7d])), "bad_pickle", ["without STOP"]);
    expectCheckpointError(() => restrictedUnpickle(new Uint8Array([0x80, 2, 0x73, 0x2e])), "bad_pickle", ["SETITEM"]);
    expectCheckpointError(() => restrictedUnpickle(new Uint8Array([0x80, 2, 0x49, 0x2e])), "bad_pickle", ["0x49"]);
  });
});
