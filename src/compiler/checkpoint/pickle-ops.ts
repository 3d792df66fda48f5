// Decodes a pickle into its opcode list without running it, refusing every opcode and global a state dict never needs.
// A pickle is a program: GLOBAL imports any callable and REDUCE calls it, so the whole stream is checked before
// the interpreter (restricted-unpickler.ts) executes a single opcode.
import { CheckpointError } from "./checkpoint-error";

export type PickleArg = number | string | Uint8Array | { module: string; name: string } | undefined;

export interface PickleOp {
  name: string;
  arg: PickleArg;
  /** Byte position of the opcode, for error messages. */
  pos: number;
}

/** The globals a torch state dict refers to; anything else is refused. */
export const ALLOWED_GLOBALS: ReadonlySet<string> = new Set([
  "collections.OrderedDict",
  "torch._utils._rebuild_tensor_v2",
  "torch._utils._rebuild_parameter",
  "torch.FloatStorage",
  "torch.HalfStorage",
  "torch.BFloat16Storage",
  "torch.DoubleStorage",
  "torch.LongStorage",
]);

type ArgKind = "none" | "u1" | "u2" | "u4" | "i4" | "u8" | "f8" | "long1" | "utf8_1" | "utf8_4" | "utf8_8" | "latin1_1" | "latin1_4" | "bytes1" | "bytes4" | "global";

const OPCODES: Record<number, [string, ArgKind]> = {
  0x80: ["PROTO", "u1"],
  0x95: ["FRAME", "u8"],
  0x2e: ["STOP", "none"],
  0x7d: ["EMPTY_DICT", "none"],
  0x5d: ["EMPTY_LIST", "none"],
  0x29: ["EMPTY_TUPLE", "none"],
  0x28: ["MARK", "none"],
  0x58: ["BINUNICODE", "utf8_4"],
  0x8c: ["SHORT_BINUNICODE", "utf8_1"],
  0x8d: ["BINUNICODE8", "utf8_8"],
  0x54: ["BINSTRING", "latin1_4"],
  0x55: ["SHORT_BINSTRING", "latin1_1"],
  0x42: ["BINBYTES", "bytes4"],
  0x43: ["SHORT_BINBYTES", "bytes1"],
  0x71: ["BINPUT", "u1"],
  0x72: ["LONG_BINPUT", "u4"],
  0x94: ["MEMOIZE", "none"],
  0x68: ["BINGET", "u1"],
  0x6a: ["LONG_BINGET", "u4"],
  0x74: ["TUPLE", "none"],
  0x85: ["TUPLE1", "none"],
  0x86: ["TUPLE2", "none"],
  0x87: ["TUPLE3", "none"],
  0x73: ["SETITEM", "none"],
  0x75: ["SETITEMS", "none"],
  0x61: ["APPEND", "none"],
  0x65: ["APPENDS", "none"],
  0x63: ["GLOBAL", "global"],
  0x51: ["BINPERSID", "none"],
  0x52: ["REDUCE", "none"],
  0x62: ["BUILD", "none"],
  0x81: ["NEWOBJ", "none"],
  0x4a: ["BININT", "i4"],
  0x4b: ["BININT1", "u1"],
  0x4d: ["BININT2", "u2"],
  0x8a: ["LONG1", "long1"],
  0x47: ["BINFLOAT", "f8"],
  0x88: ["NEWTRUE", "none"],
  0x89: ["NEWFALSE", "none"],
  0x4e: ["NONE", "none"],
  0x30: ["POP", "none"],
  0x31: ["POP_MARK", "none"],
  0x32: ["DUP", "none"],
};

/** Opcodes that import or call something by themselves; refused outright. */
const UNSAFE_OPCODES: Record<number, string> = {
  0x69: "INST",
  0x6f: "OBJ",
  0x93: "STACK_GLOBAL",
  0x92: "NEWOBJ_EX",
  0x82: "EXT1",
  0x83: "EXT2",
  0x84: "EXT4",
  0x50: "PERSID",
};

function bad(message: string): never {
  throw new CheckpointError("bad_pickle", message);
}

/** Parses the whole stream up to STOP, refusing unknown/unsafe opcodes and globals outside ALLOWED_GLOBALS. */
export function decodePickleOps(bytes: Uint8Array): PickleOp[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const ops: PickleOp[] = [];
  let at = 0;
  const need = (n: number, pos: number): void => {
    if (at + n > bytes.length) bad(`pickle truncated inside the opcode at byte ${pos}`);
  };
  const text = (n: number, pos: number, latin1: boolean): string => {
    need(n, pos);
    const slice = bytes.subarray(at, at + n);
    at += n;
    try {
      return latin1 ? String.fromCharCode(...slice) : new TextDecoder("utf-8", { fatal: true }).decode(slice);
    } catch {
      return bad(`invalid UTF-8 string at byte ${pos}`);
    }
  };
  const line = (pos: number): string => {
    const end = bytes.indexOf(0x0a, at);
    if (end < 0) bad(`GLOBAL at byte ${pos} has no line end`);
    const s = new TextDecoder("utf-8").decode(bytes.subarray(at, end));
    at = end + 1;
    return s;
  };
  for (;;) {
    if (at >= bytes.length) bad("pickle ends without STOP");
    const pos = at;
    const code = bytes[at++]!;
    const unsafe = UNSAFE_OPCODES[code];
    if (unsafe) throw new CheckpointError("unsafe_pickle", `opcode ${unsafe} at byte ${pos} is not allowed (it can import or call arbitrary code)`);
    const known = OPCODES[code];
    if (!known) bad(`opcode 0x${code.toString(16).padStart(2, "0")} at byte ${pos} is not one a state dict uses`);
    const [name, kind] = known;
    let arg: PickleArg;
    switch (kind) {
      case "none":
        break;
      case "u1":
        need(1, pos);
        arg = bytes[at++]!;
        break;
      case "u2":
        need(2, pos);
        arg = view.getUint16(at, true);
        at += 2;
        break;
      case "u4":
        need(4, pos);
        arg = view.getUint32(at, true);
        at += 4;
        break;
      case "i4":
        need(4, pos);
        arg = view.getInt32(at, true);
        at += 4;
        break;
      case "u8": {
        need(8, pos);
        const v = view.getBigUint64(at, true);
        at += 8;
        if (v > BigInt(Number.MAX_SAFE_INTEGER)) bad(`length at byte ${pos} is too large`);
        arg = Number(v);
        break;
      }
      case "f8":
        need(8, pos);
        arg = view.getFloat64(at, false);
        at += 8;
        break;
      case "long1": {
        need(1, pos);
        const n = bytes[at++]!;
        need(n, pos);
        let v = 0n;
        for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[at + i]!);
        if (n > 0 && bytes[at + n - 1]! >= 0x80) v -= 1n << BigInt(8 * n);
        at += n;
        if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < -BigInt(Number.MAX_SAFE_INTEGER)) bad(`integer at byte ${pos} is too large`);
        arg = Number(v);
        break;
      }
      case "utf8_1":
        need(1, pos);
        arg = text(bytes[at++]!, pos, false);
        break;
      case "utf8_4":
        need(4, pos);
        at += 4;
        arg = text(view.getUint32(at - 4, true), pos, false);
        break;
      case "utf8_8": {
        need(8, pos);
        const n = Number(view.getBigUint64(at, true));
        at += 8;
        arg = text(n, pos, false);
        break;
      }
      case "latin1_1":
        need(1, pos);
        arg = text(bytes[at++]!, pos, true);
        break;
      case "latin1_4":
        need(4, pos);
        at += 4;
        arg = text(view.getUint32(at - 4, true), pos, true);
        break;
      case "bytes1":
      case "bytes4": {
        const n = kind === "bytes1" ? bytes[at++]! : (need(4, pos), (at += 4), view.getUint32(at - 4, true));
        need(n, pos);
        arg = bytes.slice(at, at + n);
        at += n;
        break;
      }
      case "global": {
        const module = line(pos);
        const gname = line(pos);
        const full = `${module}.${gname}`;
        if (!ALLOWED_GLOBALS.has(full)) throw new CheckpointError("unsafe_pickle", `global ${full} is not allowed (a state dict only needs ${[...ALLOWED_GLOBALS].join(", ")})`);
        arg = { module, name: gname };
        break;
      }
    }
    ops.push({ name, arg, pos });
    if (name === "STOP") return ops;
  }
}
