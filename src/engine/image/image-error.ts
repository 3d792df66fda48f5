// The one error type of image input: a stable machine code plus a human message.

export type ImageErrorCode = "unsupported_format" | "corrupt_image" | "image_too_large";

export class ImageError extends Error {
  override readonly name = "ImageError";

  constructor(
    readonly code: ImageErrorCode,
    message: string,
    /** Facts for the API error body, e.g. { width, height, maxPixels }. */
    readonly details: Readonly<Record<string, string | number>> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
