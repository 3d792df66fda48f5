// The image work a SIMD kernel module may take over (src/engine/wasm/image-kernel.ts): the same bytes either way.
import type { MapPngKernel } from "../anomaly/map-png-stream";
import type { UnfilterKernel } from "./png-unfilter";
import type { ResampleKernel } from "./resize-pil";

export interface ImageKernel extends ResampleKernel, UnfilterKernel, MapPngKernel {}
