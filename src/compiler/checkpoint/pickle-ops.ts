// Decodes a pickle into its opcode list without running it, refusing every opcode and global a state dict never needs.
// A pickle is a program: GLOBAL imports any callable and REDUCE calls it, so the whole stream is checked before
// the interpreter (restricted-unpickler.ts) executes a single opcode.
import { CheckpointError } from "./checkpoint-error";

export type PickleArg = number | bigint | string | Uint8Array | { module: string; name: string } | undefined;

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

type ArgKind =
  | "none"
  | "u1"
  | "u2"
  | "u4"
  | "i4"
  | "u8"
  | "f8"
  | "long1"
  | "utf8_1"
  | "utf8_4"
  | "utf8_8"
  | "latin1_1"
  | "latin1_4"
  | "bytes1"
  | "bytes4"
  | "global";

const OPCODES: Record<number, [string, ArgKind]> = {
  128: ["PROTO", "u1"],
  149: ["FRAME", "u8"],
  46: ["STOP", "none"],
  125: ["EMPTY_DICT", "none"],
  93: ["EMPTY_LIST", "none"],
  41: ["EMPTY_TUPLE", "none"],
  40: ["MARK", "none"],
  88: ["BINUNICODE", "utf8_4"],
  140: ["SHORT_BINUNICODE", "utf8_1"],
  141: ["BINUNICODE8", "utf8_8"],
  84: ["BINSTRING", "latin1_4"],
  85: ["SHORT_BINSTRING", "latin1_1"],
  66: ["BINBYTES", "bytes4"],
  67: ["SHORT_BINBYTES", "bytes1"],
  113: ["BINPUT", "u1"],
  114: ["LONG_BINPUT", "u4"],
  148: ["MEMOIZE", "none"],
  104: ["BINGET", "u1"],
  106: ["LONG_BINGET", "u4"],
  116: ["TUPLE", "none"],
  133: ["TUPLE1", "none"],
  134: ["TUPLE2", "none"],
  135: ["TUPLE3", "none"],
  115: ["SETITEM", "none"],
  117: ["SETITEMS", "none"],
  97: ["APPEND", "none"],
  101: ["APPENDS", "none"],
  99: ["GLOBAL", "global"],
  81: ["BINPERSID", "none"],
  82: ["REDUCE", "none"],
  98: ["BUILD", "none"],
  129: ["NEWOBJ", "none"],
  74: ["BININT", "i4"],
  75: ["BININT1", "u1"],
  77: ["BININT2", "u2"],
  138: ["LONG1", "long1"],
  71: ["BINFLOAT", "f8"],
  136: ["NEWTRUE", "none"],
  137: ["NEWFALSE", "none"],
  78: ["NONE", "none"],
  48: ["POP", "none"],
  49: ["POP_MARK", "none"],
  50: ["DUP", "none"],
};

/** Opcodes that import or call something by themselves; refused outright. */
const UNSAFE_OPCODES: Record<number, string> = {
  105: "INST",
  111: "OBJ",
  147: "STACK_GLOBAL",
  146: "NEWOBJ_EX",
  130: "EXT1",
  131: "EXT2",
  132: "EXT4",
  80: "PERSID",
};

function bad(message: string): never {
  throw new CheckpointError("bad_pickle", message);
}

/** Parses the stream from `start` up to STOP, refusing unknown/unsafe opcodes and globals outside ALLOWED_GLOBALS. */
export function decodePickleOps(bytes: Uint8Array, start = 0): PickleOp[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const ops: PickleOp[] = [];
  let at = start;
  const need = (n: number, pos: number): void => {
    if (at + n > bytes.length) bad(`pickle truncated inside the opcode at byte ${pos}`);
  };
  const text = (n: number, pos: number, latin1: boolean): string => {
    need(n, pos);
    const slice = bytes.subarray(at, at + n);
    at += n;
    if (latin1) return latin1String(slice);
    try {
      return new TextDecoder("utf-8", { fatal: true }).decode(slice);
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
        // beyond 2^53 only as a bigint (the legacy format's magic number is one)
        arg = v > BigInt(Number.MAX_SAFE_INTEGER) || v < -BigInt(Number.MAX_SAFE_INTEGER) ? v : Number(v);
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
        need(kind === "bytes1" ? 1 : 4, pos);
        const n = kind === "bytes1" ? bytes[at]! : view.getUint32(at, true);
        at += kind === "bytes1" ? 1 : 4;
        need(n, pos);
        arg = bytes.slice(at, at + n);
        at += n;
        break;
      }
      case "global": {
        const module = line(pos);
        const gname = line(pos);
        const full = `${module}.${gname}`;
        if (!ALLOWED_GLOBALS.has(full))
          throw new CheckpointError("unsafe_pickle", `global ${full} is not allowed (a state dict only needs ${[...ALLOWED_GLOBALS].join(", ")})`);
        arg = { module, name: gname };
        break;
      }
    }
    ops.push({ name, arg, pos });
    if (name === "STOP") return ops;
  }
}

/** Byte i is code point i (TextDecoder's "latin1" is windows-1252, which differs at 0x80-0x9f); chunked, since one call
 * with a spread of a long string's bytes overflows the argument limit. */
function latin1String(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i += 8192) out += String.fromCharCode.apply(null, bytes.subarray(i, i + 8192) as unknown as number[]);
  return out;
}
