// Runs a checked opcode list (pickle-ops.ts) as data only: dicts, lists, tuples, scalars, storage and tensor references.
// Nothing is ever imported or called: the few allowed globals are interpreted here by name.
import { CheckpointError } from "./checkpoint-error";
import { decodePickleOps, type PickleOp } from "./pickle-ops";

export type StorageDtype = "F32" | "F16" | "BF16" | "F64" | "I64";

const STORAGE_DTYPES: Record<string, StorageDtype> = {
  FloatStorage: "F32",
  HalfStorage: "F16",
  BFloat16Storage: "BF16",
  DoubleStorage: "F64",
  LongStorage: "I64",
};

export class PyTuple {
  constructor(readonly items: PickleValue[]) {}
}
export class PyDict {
  readonly items = new Map<string | number, PickleValue>();
}
export class GlobalRef {
  constructor(
    readonly module: string,
    readonly name: string,
  ) {}
  get fullName(): string {
    return `${this.module}.${this.name}`;
  }
}
/** A storage named by a persistent id: bytes live in `{prefix}/data/{key}` (zip) or after the pickles (legacy). */
export class StorageRef {
  constructor(
    readonly dtype: StorageDtype,
    readonly key: string,
    readonly numel: number,
    /** Legacy format only: a view starting this many elements into the storage `key`. */
    readonly offset = 0,
  ) {}
}
/** `_rebuild_tensor_v2(storage, offset, size, stride, ...)`: a strided view of a storage. */
export class TensorRef {
  constructor(
    readonly storage: StorageRef,
    readonly offset: number,
    readonly shape: number[],
    readonly stride: number[],
  ) {}
}

export type PickleValue = null | boolean | number | bigint | string | Uint8Array | PickleValue[] | PyTuple | PyDict | GlobalRef | StorageRef | TensorRef;

const MARK = Symbol("mark");
type StackItem = PickleValue | typeof MARK;

function bad(op: PickleOp, message: string): never {
  throw new CheckpointError("bad_pickle", `${op.name} at byte ${op.pos}: ${message}`);
}

function isIntList(v: PickleValue): v is PyTuple {
  return v instanceof PyTuple && v.items.every((d) => typeof d === "number" && Number.isInteger(d) && d >= 0);
}

const isCount = (v: PickleValue | undefined): v is number => typeof v === "number" && Number.isInteger(v) && v >= 0;

/** ('storage', type, key, location, numel) in zip archives; legacy files add view metadata (view key, offset, numel) or None. */
function persistentLoad(op: PickleOp, pid: PickleValue): StorageRef {
  if (!(pid instanceof PyTuple) || pid.items[0] !== "storage" || (pid.items.length !== 5 && pid.items.length !== 6)) {
    bad(op, "persistent id is not ('storage', type, key, location, numel[, view])");
  }
  const [, type, key, , numel, view] = pid.items;
  if (!(type instanceof GlobalRef) || type.module !== "torch" || !(type.name in STORAGE_DTYPES)) bad(op, "persistent id names no storage type");
  if (typeof key !== "string" || !isCount(numel)) bad(op, "persistent id has a bad key or size");
  const dtype = STORAGE_DTYPES[type.name]!;
  if (view === undefined || view === null) return new StorageRef(dtype, key, numel);
  if (!(view instanceof PyTuple) || view.items.length !== 3 || !isCount(view.items[1]) || !isCount(view.items[2])) {
    bad(op, "storage view is not (key, offset, numel)");
  }
  const [offset, size] = [view.items[1], view.items[2]] as [number, number];
  if (offset + size > numel) bad(op, `storage view [${offset}, ${offset + size}) lies outside its ${numel}-element storage`);
  return new StorageRef(dtype, key, size, offset);
}

function call(op: PickleOp, fn: PickleValue, args: PickleValue): PickleValue {
  if (!(fn instanceof GlobalRef)) bad(op, "calls something that is not a global");
  if (!(args instanceof PyTuple)) bad(op, "arguments are not a tuple");
  const a = args.items;
  switch (fn.fullName) {
    case "collections.OrderedDict":
      if (a.length !== 0) bad(op, "OrderedDict is only rebuilt empty");
      return new PyDict();
    case "torch._utils._rebuild_tensor_v2": {
      const [storage, offset, size, stride] = a;
      if (a.length < 6 || a.length > 7 || !(storage instanceof StorageRef) || typeof offset !== "number" || !isIntList(size!) || !isIntList(stride!)) {
        bad(op, "_rebuild_tensor_v2 expects (storage, offset, size, stride, requires_grad, hooks[, metadata])");
      }
      if (size.items.length !== stride.items.length) bad(op, "tensor size and stride differ in rank");
      return new TensorRef(storage, offset, size.items as number[], stride.items as number[]);
    }
    case "torch._utils._rebuild_parameter":
      if (!(a[0] instanceof TensorRef)) bad(op, "_rebuild_parameter of something that is not a tensor");
      return a[0];
    default:
      throw new CheckpointError("unsafe_pickle", `${op.name} at byte ${op.pos} calls ${fn.fullName}, which is not allowed`);
  }
}

/** Unpickles a torch state-dict pickle; nothing in it is ever imported or called. */
export function restrictedUnpickle(bytes: Uint8Array): PickleValue {
  return restrictedUnpickleAt(bytes, 0).value;
}

/** The pickle starting at byte `start` and the offset just after its STOP (legacy files hold several in a row). */
export function restrictedUnpickleAt(bytes: Uint8Array, start: number): { value: PickleValue; end: number } {
  const ops = decodePickleOps(bytes, start);
  return { value: run(ops), end: ops[ops.length - 1]!.pos + 1 };
}

function run(ops: PickleOp[]): PickleValue {
  const stack: StackItem[] = [];
  const memo = new Map<number, PickleValue>();
  const pop = (op: PickleOp): PickleValue => {
    const v = stack.pop();
    if (v === undefined || v === MARK) bad(op, "stack underflow");
    return v;
  };
  const top = (op: PickleOp): PickleValue => {
    const v = stack[stack.length - 1];
    if (v === undefined || v === MARK) bad(op, "stack underflow");
    return v;
  };
  const popMark = (op: PickleOp): PickleValue[] => {
    const i = stack.lastIndexOf(MARK);
    if (i < 0) bad(op, "no MARK on the stack");
    const items = stack.splice(i) as PickleValue[];
    items.shift();
    return items;
  };
  const setItems = (op: PickleOp, target: PickleValue, kv: PickleValue[]): void => {
    if (!(target instanceof PyDict)) bad(op, "target is not a dict");
    for (let i = 0; i + 1 < kv.length; i += 2) {
      const k = kv[i];
      if (typeof k !== "string" && typeof k !== "number") bad(op, "dict key is not a string or number");
      target.items.set(k, kv[i + 1]!);
    }
  };
  for (const op of ops) {
    const arg = op.arg;
    switch (op.name) {
      case "PROTO":
      case "FRAME":
        break;
      case "STOP":
        if (stack.length !== 1) bad(op, `stack holds ${stack.length} items at STOP`);
        return pop(op);
      case "EMPTY_DICT":
        stack.push(new PyDict());
        break;
      case "EMPTY_LIST":
        stack.push([]);
        break;
      case "EMPTY_TUPLE":
        stack.push(new PyTuple([]));
        break;
      case "MARK":
        stack.push(MARK);
        break;
      case "BINUNICODE":
      case "SHORT_BINUNICODE":
      case "BINUNICODE8":
      case "BINSTRING":
      case "SHORT_BINSTRING":
      case "BINBYTES":
      case "SHORT_BINBYTES":
      case "BININT":
      case "BININT1":
      case "BININT2":
      case "LONG1":
      case "BINFLOAT":
        stack.push(arg as PickleValue);
        break;
      case "NEWTRUE":
        stack.push(true);
        break;
      case "NEWFALSE":
        stack.push(false);
        break;
      case "NONE":
        stack.push(null);
        break;
      case "BINPUT":
      case "LONG_BINPUT":
        memo.set(arg as number, top(op));
        break;
      case "MEMOIZE":
        memo.set(memo.size, top(op));
        break;
      case "BINGET":
      case "LONG_BINGET": {
        const v = memo.get(arg as number);
        if (v === undefined) bad(op, `memo ${arg} is not set`);
        stack.push(v);
        break;
      }
      case "TUPLE":
        stack.push(new PyTuple(popMark(op)));
        break;
      case "TUPLE1":
      case "TUPLE2":
      case "TUPLE3": {
        const n = Number(op.name.slice(5));
        const items: PickleValue[] = [];
        for (let i = 0; i < n; i++) items.unshift(pop(op));
        stack.push(new PyTuple(items));
        break;
      }
      case "SETITEM": {
        const v = pop(op);
        const k = pop(op);
        setItems(op, top(op), [k, v]);
        break;
      }
      case "SETITEMS": {
        const kv = popMark(op);
        setItems(op, top(op), kv);
        break;
      }
      case "APPEND": {
        const v = pop(op);
        const list = top(op);
        if (!Array.isArray(list)) bad(op, "target is not a list");
        list.push(v);
        break;
      }
      case "APPENDS": {
        const vs = popMark(op);
        const list = top(op);
        if (!Array.isArray(list)) bad(op, "target is not a list");
        list.push(...vs);
        break;
      }
      case "GLOBAL": {
        const g = arg as { module: string; name: string };
        stack.push(new GlobalRef(g.module, g.name));
        break;
      }
      case "BINPERSID":
        stack.push(persistentLoad(op, pop(op)));
        break;
      case "REDUCE": {
        const args = pop(op);
        const fn = pop(op);
        stack.push(call(op, fn, args));
        break;
      }
      case "NEWOBJ": {
        const args = pop(op);
        const cls = pop(op);
        if (!(cls instanceof GlobalRef) || cls.fullName !== "collections.OrderedDict") {
          throw new CheckpointError(
            "unsafe_pickle",
            `NEWOBJ at byte ${op.pos} instantiates ${cls instanceof GlobalRef ? cls.fullName : "a non-class"}, which is not allowed`,
          );
        }
        stack.push(call(op, cls, args));
        break;
      }
      case "BUILD": {
        pop(op); // the state: a state dict's `_metadata` (module versions), not needed
        if (!(top(op) instanceof PyDict)) bad(op, "BUILD is only accepted on an OrderedDict");
        break;
      }
      case "POP":
        if (stack.pop() === undefined) bad(op, "stack underflow");
        break;
      case "POP_MARK":
        popMark(op);
        break;
      case "DUP":
        stack.push(top(op));
        break;
      default:
        bad(op, "unhandled opcode");
    }
  }
  throw new CheckpointError("bad_pickle", "pickle ends without STOP");
}
