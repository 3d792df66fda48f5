// Request limits (set per deployment, src/composition/config.ts) and the fixed bounds of a reference set.

export interface Limits {
  /** Largest request body in bytes; checked from Content-Length and while streaming, before parsing. */
  maxBodyBytes: number;
  /** Largest width * height of one image; checked from the image header before decoding. */
  maxImagePixels: number;
  /** Longest wait for the next chunk of a request body (408 request_timeout). */
  bodyIdleTimeoutSeconds: number;
  /** Longest time for a whole request body (408 request_timeout). */
  bodyDeadlineSeconds: number;
  /** Model requests admitted per isolate, the running one included (503 overloaded beyond). */
  admissionMaxRequests: number;
  /**
   * Memory of the admitted model requests per isolate (503 overloaded beyond): their bodies, plus the decode of the
   * one running request (they run one at a time), reserved as maxImagePixels x admissionDecodeBytesPerPixel.
   */
  admissionMaxBytes: number;
  /** Bytes per pixel reserved for the running request's decode (RGBA, the PNG/JPEG decode buffers, the map). */
  admissionDecodeBytesPerPixel: number;
}

export const DEFAULT_LIMITS: Limits = {
  maxBodyBytes: 20 * 1024 * 1024,
  maxImagePixels: 4 * 1024 * 1024,
  bodyIdleTimeoutSeconds: 10,
  bodyDeadlineSeconds: 60,
  admissionMaxRequests: 8,
  admissionMaxBytes: 64 * 1024 * 1024,
  admissionDecodeBytesPerPixel: 8,
};

/** Reference shots per set, inclusive bounds. */
export const MIN_SHOTS = 1;
export const MAX_SHOTS = 16;
