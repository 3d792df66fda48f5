// The one error type for reading, mapping and writing checkpoints; `code` is stable, the message is for humans.

export type CheckpointErrorCode =
  | "truncated" // file shorter than its header says
  | "bad_header" // safetensors header unreadable or malformed
  | "offset_out_of_range" // data_offsets inconsistent with shape/dtype or with each other
  | "unsupported_dtype" // a tensor dtype this reader does not decode
  | "missing_tensor" // a tensor the config requires is absent
  | "shape_mismatch" // a tensor's shape differs from what the config implies
  | "unexpected_tensor" // a tensor the mapping does not understand (a feature we do not implement)
  | "bad_config" // config JSON missing a field or with a wrong type/value
  | "unsupported_arch" // a valid config for an architecture we do not run (ResNet, timm, HF text tower...)
  | "bad_archive" // a torch.save zip archive that is not one, or is damaged
  | "bad_pickle" // a malformed pickle, or one using something a state dict never does
  | "unsafe_pickle" // a pickle naming a global or opcode that could run code: refused before anything runs
  | "layout_not_found" // a directory without a recognised set of files
  | "unknown_arch"; // an unknown preset name for random checkpoints

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
