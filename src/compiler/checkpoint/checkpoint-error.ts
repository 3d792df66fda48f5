// The one error type for reading, mapping and writing checkpoints; `code` is stable, the message is for humans.

export type CheckpointErrorCode =
  | "TRUNCATED" // file shorter than its header says
  | "BAD_HEADER" // safetensors header unreadable or malformed
  | "OFFSET_OUT_OF_RANGE" // data_offsets inconsistent with shape/dtype or with each other
  | "UNSUPPORTED_DTYPE" // a tensor dtype this reader does not decode
  | "MISSING_TENSOR" // a tensor the config requires is absent
  | "SHAPE_MISMATCH" // a tensor's shape differs from what the config implies
  | "UNEXPECTED_TENSOR" // a tensor the mapping does not understand (a feature we do not implement)
  | "BAD_CONFIG" // config JSON missing a field or with a wrong type/value
  | "UNSUPPORTED_ARCH" // a valid config for an architecture we do not run (ResNet, timm, HF text tower...)
  | "LAYOUT_NOT_FOUND" // a directory without a recognised set of files
  | "UNKNOWN_ARCH"; // an unknown preset name for random checkpoints

export class CheckpointError extends Error {
  readonly code: CheckpointErrorCode;
  /** The tensor key or config field the error is about, when there is one. */
  readonly key?: string;

  constructor(code: CheckpointErrorCode, message: string, key?: string) {
    super(message);
    this.name = "CheckpointError";
    this.code = code;
    if (key !== undefined) this.key = key;
  }
}
