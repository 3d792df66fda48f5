// The image kernels module (image-simd.wasm): Pillow's resample passes, PNG unfiltering and the anomaly map PNG's
// scanlines and the match search of its compressor, one linear memory.
export { horizontal, vertical } from "./resample";
export { unfilter } from "./png-unfilter";
export { mapScanlines } from "./map-scanlines";
export { adler32, deflateMatch, deflateMatchCount, deflateWrite, deflateWriterBuf, deflateWriterPending, deflateWriterSet } from "./deflate-match";
