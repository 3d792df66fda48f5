// One entry for checkpoint file bytes of either format: a torch.save zip (.pth/.bin/.pt) or safetensors, told apart by content.
import type { Tensor } from "./clip-checkpoint";
import { parseSafetensors } from "./safetensors";
import { isTorchFile, parseTorchCheckpoint } from "./torch-checkpoint";

export interface CheckpointFileOptions {
  include?: (key: string) => boolean;
  /** torch files only: read this top-level key's dict when present (APRIL-GAN's "trainable_linearlayer"). */
  unwrap?: string;
}

export function parseCheckpointFile(bytes: Uint8Array, options: CheckpointFileOptions = {}): Map<string, Tensor> {
  return isTorchFile(bytes) ? parseTorchCheckpoint(bytes, options) : parseSafetensors(bytes, { include: options.include });
}
