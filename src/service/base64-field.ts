// A base64 field of a JSON body to bytes, or 400 invalid_base64 naming the field.
import { decodeBase64, decodeBase64Into } from "../shared/base64";
import { ApiError } from "./errors";

/**
 * With `into`, the bytes are decoded into its start and the result is a view of it (for the request body's own
 * buffer, whose JSON text is no longer needed once parsed: base64 is longer than what it encodes, so it always fits).
 */
export function base64Field(text: string, field: string, into?: Uint8Array): Uint8Array {
  const bytes = into ? decodeBase64Into(text, into) : decodeBase64(text);
  if (!bytes) throw new ApiError(400, "invalid_base64", `${field} is not valid base64`);
  return bytes;
}
