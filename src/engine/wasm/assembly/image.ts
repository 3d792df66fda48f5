// The image kernels module (image-simd.wasm): Pillow's resample passes and PNG unfiltering, one linear memory.
export { horizontal, vertical } from "./resample";
export { unfilter } from "./png-unfilter";
